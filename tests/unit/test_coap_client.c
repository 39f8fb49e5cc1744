// SPDX-License-Identifier: BSD-3-Clause
/* Tests for the synchronous CoAP client against a libcoap echo server in a child process. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <coap3/coap.h>

#include "groupkey/coap_client.h"
#include "harness.h"

static const uint8_t test_key[16] = "0123456789abcdef";
static const char test_identity[] = "id\x01\xff-binary";

/* A free UDP port on 127.0.0.1 (released again: the child binds it right after). */
static uint16_t free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    getsockname(fd, (struct sockaddr *)&a, &len))
		return 0;
	close(fd);
	return ntohs(a.sin_port);
}

static void release(coap_session_t *s, void *p)
{
	free(p);
}

/* Answers with a copy: libcoap sends later Block2 blocks from it after we return. */
static void echo(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
		 const coap_string_t *q, coap_pdu_t *resp)
{
	size_t len = 0, off = 0, total = 0;
	const uint8_t *data = NULL;
	uint8_t *copy;

	coap_get_data_large(req, &len, &data, &off, &total);
	copy = malloc(len ? len : 1);
	if (!copy) {
		coap_pdu_set_code(resp, COAP_RESPONSE_CODE(500));
		return;
	}
	memcpy(copy, data, len);
	coap_pdu_set_code(resp, COAP_RESPONSE_CODE(205));
	coap_add_data_large_response(r, s, req, resp, q, 60, -1, 0, len, copy, release, copy);
}

static const coap_bin_const_t *check_id(coap_bin_const_t *id, coap_session_t *s, void *arg)
{
	static const coap_bin_const_t key = { sizeof(test_key), test_key };

	if (id->length != sizeof(test_identity) - 1 || memcmp(id->s, test_identity, id->length))
		return NULL;
	return &key;
}

/* Child: coap on port, coaps on dport, until killed. */
static void serve(uint16_t port, uint16_t dport)
{
	coap_dtls_spsk_t spsk = { .version = COAP_DTLS_SPSK_SETUP_VERSION,
				  .validate_id_call_back = check_id };
	coap_address_t a;
	coap_context_t *ctx;
	coap_resource_t *r;

	coap_startup();
	coap_set_log_level(LOG_EMERG);
	ctx = coap_new_context(NULL);
	coap_context_set_block_mode(ctx, COAP_BLOCK_USE_LIBCOAP | COAP_BLOCK_SINGLE_BODY);
	coap_context_set_psk2(ctx, &spsk);
	coap_address_init(&a);
	a.addr.sin.sin_family = AF_INET;
	a.addr.sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.size = sizeof(a.addr.sin);
	a.addr.sin.sin_port = htons(port);
	if (!coap_new_endpoint(ctx, &a, COAP_PROTO_UDP))
		_exit(3);
	a.addr.sin.sin_port = htons(dport);
	if (!coap_new_endpoint(ctx, &a, COAP_PROTO_DTLS))
		_exit(3);
	r = coap_resource_init(coap_make_str_const("echo"), 0);
	coap_register_handler(r, COAP_REQUEST_POST, echo);
	coap_register_handler(r, COAP_REQUEST_FETCH, echo);
	coap_add_resource(ctx, r);
	for (;;)
		coap_io_process(ctx, 1000);
}

struct server {
	pid_t pid;
	char uri[64], suri[64];
};

static int server_start(struct server *s)
{
	uint16_t port = free_port(), dport = free_port();

	if (!port || !dport || port == dport)
		return -1;
	s->pid = fork();
	if (s->pid < 0)
		return -1;
	if (!s->pid)
		serve(port, dport);
	gk_coap_client_verbose(false);
	snprintf(s->uri, sizeof(s->uri), "coap://127.0.0.1:%u/echo", port);
	snprintf(s->suri, sizeof(s->suri), "coaps://127.0.0.1:%u/echo", dport);
	usleep(200000);
	return 0;
}

static void server_stop(struct server *s)
{
	kill(s->pid, SIGKILL);
	waitpid(s->pid, NULL, 0);
}

TEST(refuses_bad_requests)
{
	uint8_t key[65] = { 1 };
	struct gk_coap_request r = { .uri = "coaps://127.0.0.1:1/x", .method = GK_COAP_GET,
				     .content_format = GK_COAP_NO_FORMAT,
				     .accept = GK_COAP_NO_FORMAT };
	struct gk_coap_response resp;

	/* coaps without credentials, an identity with a 00 byte, a key over 64 bytes */
	EXPECT_EQ(gk_coap_request(&r, &resp), -EINVAL);
	r.psk_identity = (const uint8_t *)"a\0b";
	r.psk_identity_len = 3;
	r.psk_key = key;
	r.psk_key_len = 16;
	EXPECT_EQ(gk_coap_request(&r, &resp), -EINVAL);
	r.psk_identity_len = 1;
	r.psk_key_len = 65;
	EXPECT_EQ(gk_coap_request(&r, &resp), -EINVAL);
	r.psk_key_len = 16;
	r.method = 6;
	EXPECT_EQ(gk_coap_request(&r, &resp), -EINVAL);
	r.method = GK_COAP_GET;
	r.uri = "http://127.0.0.1/x";
	EXPECT_EQ(gk_coap_request(&r, &resp), -EINVAL);
	r.uri = "coap+tcp://127.0.0.1/x";
	EXPECT_EQ(gk_coap_request(&r, &resp), -EINVAL);
	r.uri = "coap://no-such-host.invalid/x";
	EXPECT_EQ(gk_coap_request(&r, &resp), -EHOSTUNREACH);
	EXPECT_TRUE(resp.payload == NULL);
}

TEST(code_str)
{
	char b[16];

	ASSERT_STREQ(gk_coap_code_str(205, b, sizeof(b)), "2.05");
	ASSERT_STREQ(gk_coap_code_str(401, b, sizeof(b)), "4.01");
	ASSERT_STREQ(gk_coap_code_str(231, b, sizeof(b)), "2.31");
}

/* 3000 bytes out (Block1) and back (Block2), content format and code intact. */
static void echo_large(const char *uri, const uint8_t *id, size_t id_len)
{
	static uint8_t body[3000];
	struct gk_coap_request r = { .uri = uri, .method = GK_COAP_POST, .content_format = 42,
				     .accept = GK_COAP_NO_FORMAT, .payload = body,
				     .payload_len = sizeof(body), .psk_identity = id,
				     .psk_identity_len = id_len, .psk_key = test_key,
				     .psk_key_len = sizeof(test_key), .timeout_ms = 5000 };
	struct gk_coap_response resp;

	for (size_t i = 0; i < sizeof(body); i++)
		body[i] = (uint8_t)(i * 7);
	ASSERT_EQ(gk_coap_request(&r, &resp), 0);
	EXPECT_EQ(resp.code, 205);
	EXPECT_EQ(resp.content_format, 60);
	ASSERT_EQ(resp.payload_len, sizeof(body));
	ASSERT_MEMEQ(resp.payload, body, sizeof(body));
	gk_coap_response_free(&resp);
	EXPECT_TRUE(resp.payload == NULL);
}

TEST(blockwise_echo_plain)
{
	struct server s;

	ASSERT_EQ(server_start(&s), 0);
	echo_large(s.uri, NULL, 0);
	server_stop(&s);
}

TEST(blockwise_echo_dtls_psk)
{
	struct server s;

	ASSERT_EQ(server_start(&s), 0);
	echo_large(s.suri, (const uint8_t *)test_identity, sizeof(test_identity) - 1);
	server_stop(&s);
}

TEST(dtls_failures)
{
	uint8_t wrong[16] = "fedcba9876543210";
	struct gk_coap_request r = { .method = GK_COAP_FETCH, .content_format = GK_COAP_NO_FORMAT,
				     .accept = GK_COAP_NO_FORMAT,
				     .psk_identity = (const uint8_t *)"stranger",
				     .psk_identity_len = 8, .psk_key = test_key,
				     .psk_key_len = sizeof(test_key), .timeout_ms = 5000 };
	struct gk_coap_response resp;
	struct server s;

	ASSERT_EQ(server_start(&s), 0);
	r.uri = s.suri;
	/* An identity the server refuses: an alert ends the handshake at once. */
	EXPECT_EQ(gk_coap_request(&r, &resp), -ECONNABORTED);
	/* The right identity with another key: GnuTLS drops what it cannot decrypt. */
	r.psk_identity = (const uint8_t *)test_identity;
	r.psk_identity_len = sizeof(test_identity) - 1;
	r.psk_key = wrong;
	r.timeout_ms = 1500;
	EXPECT_EQ(gk_coap_request(&r, &resp), -ETIMEDOUT);
	server_stop(&s);
}

TEST(nobody_listening)
{
	char uri[64];
	struct gk_coap_request r = { .uri = uri, .method = GK_COAP_GET,
				     .content_format = GK_COAP_NO_FORMAT,
				     .accept = GK_COAP_NO_FORMAT, .timeout_ms = 3000 };
	struct gk_coap_response resp;
	uint16_t port = free_port();

	ASSERT_NE(port, 0);
	gk_coap_client_verbose(false);
	snprintf(uri, sizeof(uri), "coap://127.0.0.1:%u/x", port);
	EXPECT_EQ(gk_coap_request(&r, &resp), -ECONNREFUSED);
}
