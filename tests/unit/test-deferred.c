/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Deferred-response messages (doc/protocol.md).  The byte examples are read
 * from doc/protocol.md itself: every "<!-- vector: NAME ... -->" block there
 * must match an expectation here and the other way round, so the document
 * and the codec cannot drift apart.
 */
#include <unistd.h>

#include "test-support.h"
#include "simota/deferred.h"
#include "simota/hex.h"

/* ---- expected messages ---------------------------------------------------- */

typedef void (*build_fn)(struct simota_deferred_msg *m);

#define TEXT(field, s) do { (field) = (s); (field##_len) = strlen(s); } while (0)

static void set_address(struct simota_deferred_msg *m)
{
	m->has_sv1_address = true;
	m->sv1_address.ton = 2;	/* national */
	m->sv1_address.npi = 1;	/* ISDN */
	g_strlcpy(m->sv1_address.digits, "12345", sizeof(m->sv1_address.digits));
}

static void b_c1_display_text(struct simota_deferred_msg *m)
{
	simota_deferred_init(m, SIMOTA_DEFERRED_C1, 0x2A);
	m->action = SIMOTA_DEFERRED_DISPLAY_TEXT;
	TEXT(m->text, "Pay 25 € to ACME?");
	set_address(m);
	m->wanted.form = SIMOTA_DEFERRED_RQ_UNTIL_EVENT;
	m->wanted.event = SIMOTA_DEFERRED_EVENT_MG_SENT;
	m->wanted.seconds = 3600;
}

static void b_c1_get_input(struct simota_deferred_msg *m)
{
	simota_deferred_init(m, SIMOTA_DEFERRED_C1, 0x2B);
	m->action = SIMOTA_DEFERRED_GET_INPUT;
	TEXT(m->text, "Enter PIN");
	m->has_input = true;
	m->input.min_len = 4;
	m->input.max_len = 8;
	m->input.flags = SIMOTA_DEFERRED_INPUT_DIGITS | SIMOTA_DEFERRED_INPUT_HIDDEN;
	m->wanted.form = SIMOTA_DEFERRED_RQ_FIXED;
	m->wanted.seconds = 300;
}

/* A select item with a title, three items (ids 1, 2, 3), wanted extension indefinite. */
static void select_item(struct simota_deferred_msg *m, uint32_t txid, const char *title,
			const char *const names[3])
{
	simota_deferred_init(m, SIMOTA_DEFERRED_C1, txid);
	m->action = SIMOTA_DEFERRED_SELECT_ITEM;
	TEXT(m->text, title);
	for (int i = 0; i < 3; i++) {
		m->items[i].id = (uint8_t)(i + 1);
		TEXT(m->items[i].text, names[i]);
	}
	m->n_items = 3;
	m->wanted.form = SIMOTA_DEFERRED_RQ_INDEFINITE;
}

static void b_c1_select_item(struct simota_deferred_msg *m)
{
	select_item(m, 0x2C, "Delivery", (const char *const[]){ "Home", "Office", "Locker" });
}

static void b_c1_select_item_default(struct simota_deferred_msg *m)
{
	select_item(m, 0x35, "Pay with?", (const char *const[]){ "Card", "Bank transfer", "Cash" });
	m->default_item = 2;
}

static void b_c1_yes_no(struct simota_deferred_msg *m)
{
	simota_deferred_init(m, SIMOTA_DEFERRED_C1, 0x2D);
	m->action = SIMOTA_DEFERRED_YES_NO;
	TEXT(m->text, "Accept?");
	m->wanted.form = SIMOTA_DEFERRED_RQ_UNTIL_EVENT;
	m->wanted.event = SIMOTA_DEFERRED_EVENT_NEXT_SESSION;
}

static void b_ir_until_mg(struct simota_deferred_msg *m)
{
	simota_deferred_init(m, SIMOTA_DEFERRED_IR, 0x2A);
	m->rq.form = SIMOTA_DEFERRED_RQ_UNTIL_EVENT;
	m->rq.event = SIMOTA_DEFERRED_EVENT_MG_SENT;
	m->rq.seconds = 3600;
}

static void b_ir_fixed(struct simota_deferred_msg *m)
{
	simota_deferred_init(m, SIMOTA_DEFERRED_IR, 0x2B);
	m->rq.form = SIMOTA_DEFERRED_RQ_FIXED;
	m->rq.seconds = 300;
}

static void b_ir_indefinite(struct simota_deferred_msg *m)
{
	simota_deferred_init(m, SIMOTA_DEFERRED_IR, 0x2C);
	m->rq.form = SIMOTA_DEFERRED_RQ_INDEFINITE;
}

static void b_ir_next_session(struct simota_deferred_msg *m)
{
	simota_deferred_init(m, SIMOTA_DEFERRED_IR, 0x2D);
	m->rq.form = SIMOTA_DEFERRED_RQ_UNTIL_EVENT;
	m->rq.event = SIMOTA_DEFERRED_EVENT_NEXT_SESSION;
}

static void b_mg(struct simota_deferred_msg *m)
{
	simota_deferred_init(m, SIMOTA_DEFERRED_MG, 0x2A);
}

static void b_c2(struct simota_deferred_msg *m)
{
	simota_deferred_init(m, SIMOTA_DEFERRED_C2, 0x2A);
}

static void b_release(struct simota_deferred_msg *m)
{
	simota_deferred_init(m, SIMOTA_DEFERRED_RELEASE, 0x2A);
}

static void done(struct simota_deferred_msg *m, uint32_t txid,
		 enum simota_deferred_action action, uint8_t general)
{
	simota_deferred_init(m, SIMOTA_DEFERRED_R2S, txid);
	m->state = SIMOTA_DEFERRED_DONE;
	m->action = action;
	m->has_result = true;
	m->result.general = general;
}

static void b_r2s_done_display_text(struct simota_deferred_msg *m)
{
	done(m, 0x2A, SIMOTA_DEFERRED_DISPLAY_TEXT, 0x00);
}

static void b_r2s_done_get_input(struct simota_deferred_msg *m)
{
	done(m, 0x2B, SIMOTA_DEFERRED_GET_INPUT, 0x00);
	TEXT(m->result.text, "1234");
}

static void b_r2s_done_select_item(struct simota_deferred_msg *m)
{
	done(m, 0x2C, SIMOTA_DEFERRED_SELECT_ITEM, 0x00);
	m->result.item_id = 2;
}

static void b_r2s_done_yes(struct simota_deferred_msg *m)
{
	done(m, 0x2D, SIMOTA_DEFERRED_YES_NO, 0x00);
	m->result.yes = 1;
}

static void b_r2s_backward(struct simota_deferred_msg *m)
{
	done(m, 0x2C, SIMOTA_DEFERRED_SELECT_ITEM, 0x11);
}

static void b_r2s_end_session(struct simota_deferred_msg *m)
{
	done(m, 0x2C, SIMOTA_DEFERRED_SELECT_ITEM, 0x10);
}

static void b_r2s_no_response(struct simota_deferred_msg *m)
{
	done(m, 0x2A, SIMOTA_DEFERRED_DISPLAY_TEXT, 0x12);
}

static void b_r2s_terminal_busy(struct simota_deferred_msg *m)
{
	static const uint8_t screen_busy[] = { 0x01 };

	done(m, 0x2A, SIMOTA_DEFERRED_DISPLAY_TEXT, 0x20);
	m->result.additional = screen_busy;
	m->result.additional_len = 1;
}

static void state(struct simota_deferred_msg *m, uint32_t txid, enum simota_deferred_state s)
{
	simota_deferred_init(m, SIMOTA_DEFERRED_R2S, txid);
	m->state = s;
}

static void b_r2s_pending(struct simota_deferred_msg *m)
{
	state(m, 0x2B, SIMOTA_DEFERRED_PENDING);
	m->rq.form = SIMOTA_DEFERRED_RQ_FIXED;
	m->rq.seconds = 120;
}

static void b_r2s_unknown(struct simota_deferred_msg *m)
{
	state(m, 0x2E, SIMOTA_DEFERRED_UNKNOWN);
}

static void b_r2s_expired(struct simota_deferred_msg *m)
{
	state(m, 0x2B, SIMOTA_DEFERRED_EXPIRED);
}

static void b_r2s_full(struct simota_deferred_msg *m)
{
	state(m, 0x2F, SIMOTA_DEFERRED_FULL);
	m->rq.form = SIMOTA_DEFERRED_RQ_FIXED;
	m->rq.seconds = 600;
}

static void b_r2s_not_supported(struct simota_deferred_msg *m)
{
	state(m, 0x30, SIMOTA_DEFERRED_NOT_SUPPORTED);
}

static void b_r2s_bad_request(struct simota_deferred_msg *m)
{
	state(m, SIMOTA_DEFERRED_TXID_NONE, SIMOTA_DEFERRED_BAD_REQUEST);
}

static void b_r2s_released(struct simota_deferred_msg *m)
{
	state(m, 0x2A, SIMOTA_DEFERRED_RELEASED);
}

struct expectation {
	const char *name;
	build_fn build;        /* the message the bytes code, NULL for errors */
	simota_err error;      /* what the decoder returns */
	bool decode_only;      /* non-canonical bytes: no re-encode comparison */
	uint32_t txid;         /* errors: the txid the decoder still reports (0: none) */
};

static const struct expectation expectations[] = {
	{ "c1-display-text", b_c1_display_text, SIMOTA_OK, false, 0 },
	{ "c1-get-input", b_c1_get_input, SIMOTA_OK, false, 0 },
	{ "c1-select-item", b_c1_select_item, SIMOTA_OK, false, 0 },
	{ "c1-select-item-default", b_c1_select_item_default, SIMOTA_OK, false, 0 },
	{ "c1-yes-no", b_c1_yes_no, SIMOTA_OK, false, 0 },
	{ "ir-until-mg", b_ir_until_mg, SIMOTA_OK, false, 0 },
	{ "ir-fixed", b_ir_fixed, SIMOTA_OK, false, 0 },
	{ "ir-indefinite", b_ir_indefinite, SIMOTA_OK, false, 0 },
	{ "ir-next-session", b_ir_next_session, SIMOTA_OK, false, 0 },
	{ "mg", b_mg, SIMOTA_OK, false, 0 },
	{ "c2", b_c2, SIMOTA_OK, false, 0 },
	{ "release", b_release, SIMOTA_OK, false, 0 },
	{ "r2s-done-display-text", b_r2s_done_display_text, SIMOTA_OK, false, 0 },
	{ "r2s-done-get-input", b_r2s_done_get_input, SIMOTA_OK, false, 0 },
	{ "r2s-done-select-item", b_r2s_done_select_item, SIMOTA_OK, false, 0 },
	{ "r2s-done-yes", b_r2s_done_yes, SIMOTA_OK, false, 0 },
	{ "r2s-backward", b_r2s_backward, SIMOTA_OK, false, 0 },
	{ "r2s-end-session", b_r2s_end_session, SIMOTA_OK, false, 0 },
	{ "r2s-no-response", b_r2s_no_response, SIMOTA_OK, false, 0 },
	{ "r2s-terminal-busy", b_r2s_terminal_busy, SIMOTA_OK, false, 0 },
	{ "r2s-pending", b_r2s_pending, SIMOTA_OK, false, 0 },
	{ "r2s-unknown", b_r2s_unknown, SIMOTA_OK, false, 0 },
	{ "r2s-expired", b_r2s_expired, SIMOTA_OK, false, 0 },
	{ "r2s-full", b_r2s_full, SIMOTA_OK, false, 0 },
	{ "r2s-not-supported", b_r2s_not_supported, SIMOTA_OK, false, 0 },
	{ "r2s-bad-request", b_r2s_bad_request, SIMOTA_OK, false, 0 },
	{ "r2s-released", b_r2s_released, SIMOTA_OK, false, 0 },
	{ "c2-unknown-element", b_c2, SIMOTA_OK, true, 0 },
	{ "c1-version-2", NULL, SIMOTA_ERR_UNSUPPORTED, false, 0x31 },
	{ "c1-unknown-action", NULL, SIMOTA_ERR_UNSUPPORTED, false, 0x32 },
	{ "c1-missing-text", NULL, SIMOTA_ERR_MISSING_VALUE, false, 0x33 },
	{ "c2-duplicate-txid", NULL, SIMOTA_ERR_DUPLICATE, false, 0x2A },
	{ "mg-missing-txid", NULL, SIMOTA_ERR_MISSING_VALUE, false, 0 },
	{ "ir-bad-rq-length", NULL, SIMOTA_ERR_BAD_LENGTH, false, 0x2B },
	{ "r2s-missing-answer", NULL, SIMOTA_ERR_MISSING_VALUE, false, 0x2B },
	{ "r2s-answer-after-backward", NULL, SIMOTA_ERR_BAD_VALUE, false, 0x2C },
	{ "c1-default-not-an-item", NULL, SIMOTA_ERR_BAD_VALUE, false, 0x36 },
	{ "c1-default-without-select", NULL, SIMOTA_ERR_BAD_VALUE, false, 0x37 },
};

static const char *error_name(simota_err e)
{
	switch (e) {
	case SIMOTA_OK: return "OK";
	case SIMOTA_ERR_UNSUPPORTED: return "UNSUPPORTED";
	case SIMOTA_ERR_MISSING_VALUE: return "MISSING_VALUE";
	case SIMOTA_ERR_DUPLICATE: return "DUPLICATE";
	case SIMOTA_ERR_BAD_LENGTH: return "BAD_LENGTH";
	case SIMOTA_ERR_BAD_VALUE: return "BAD_VALUE";
	default: return "?";
	}
}

/* ---- doc/protocol.md ------------------------------------------------------ */

struct doc_vector {
	char *name;
	char *attrs;           /* what follows the name in the marker */
	GByteArray *bytes;
};

static GPtrArray *doc_vectors;  /* struct doc_vector * */

/* Where doc/protocol.md is: the source tree holding this test. */
static char *find_doc(void)
{
	const char *env = g_getenv("STKBRIDGE_SRCDIR");
	char *here = g_path_get_dirname(__FILE__);
	char *exe = g_file_read_link("/proc/self/exe", NULL);
	GPtrArray *candidates = g_ptr_array_new_with_free_func(g_free);
	char *found = NULL;

	if (env)
		g_ptr_array_add(candidates, g_build_filename(env, "doc", "protocol.md", NULL));
	/* __FILE__ is relative to the build directory, the tests' usual cwd */
	g_ptr_array_add(candidates, g_build_filename(here, "..", "..", "doc", "protocol.md", NULL));
	/* VECTORS_DIR is <src>/tests/vectors or <src>/../shared/vectors */
	g_ptr_array_add(candidates, g_build_filename(tv_dir(), "..", "..", "doc", "protocol.md", NULL));
	g_ptr_array_add(candidates, g_build_filename(tv_dir(), "..", "..", "main", "doc",
						     "protocol.md", NULL));
	/* a build directory inside the source tree */
	for (char *dir = exe ? g_path_get_dirname(exe) : NULL; dir;) {
		char *parent = g_path_get_dirname(dir);

		g_ptr_array_add(candidates, g_build_filename(dir, "doc", "protocol.md", NULL));
		if (!strcmp(parent, dir)) {
			g_free(parent);
			g_free(dir);
			break;
		}
		g_free(dir);
		dir = parent;
	}
	for (guint i = 0; i < candidates->len && !found; i++)
		if (g_file_test(candidates->pdata[i], G_FILE_TEST_IS_REGULAR))
			found = g_strdup(candidates->pdata[i]);
	g_ptr_array_unref(candidates);
	g_free(here);
	g_free(exe);
	if (!found)
		g_error("doc/protocol.md not found (set STKBRIDGE_SRCDIR to the source tree)");
	return found;
}

static void parse_hex_line(const char *line, GByteArray *out, const char *name)
{
	char *copy = g_strdup(line), *comment = strstr(copy, "--");
	uint8_t *bytes;
	size_t cap, n;

	if (comment)
		*comment = '\0';
	cap = strlen(copy) / 2 + 1;
	bytes = g_malloc(cap);
	if (simota_hex_decode(g_strstrip(copy), bytes, cap, &n) != SIMOTA_OK)
		g_error("doc/protocol.md vector %s: not hex bytes: \"%s\"", name, line);
	g_byte_array_append(out, bytes, (guint)n);
	g_free(bytes);
	g_free(copy);
}

static void load_doc(void)
{
	char *path = find_doc(), *text = NULL;
	char **lines;
	struct doc_vector *cur = NULL;
	bool in_block = false;

	if (!g_file_get_contents(path, &text, NULL, NULL))
		g_error("cannot read %s", path);
	doc_vectors = g_ptr_array_new();
	lines = g_strsplit(text, "\n", -1);
	for (char **l = lines; *l; l++) {
		const char *s = *l;

		if (g_str_has_prefix(s, "<!-- vector: ")) {
			char *body = g_strndup(s + 13, strlen(s + 13));
			char *end = strstr(body, "-->");
			char **parts;

			if (!end)
				g_error("%s: unterminated marker: %s", path, s);
			*end = '\0';
			parts = g_strsplit(g_strstrip(body), " ", 2);
			cur = g_new0(struct doc_vector, 1);
			cur->name = g_strdup(parts[0]);
			cur->attrs = g_strdup(parts[1] ? parts[1] : "");
			cur->bytes = g_byte_array_new();
			g_ptr_array_add(doc_vectors, cur);
			g_strfreev(parts);
			g_free(body);
		} else if (cur && g_str_has_prefix(s, "```")) {
			if (in_block)
				cur = NULL;
			in_block = !in_block;
		} else if (cur && in_block) {
			parse_hex_line(s, cur->bytes, cur->name);
		}
	}
	g_strfreev(lines);
	g_free(text);
	g_free(path);
}

static struct doc_vector *doc_vector(const char *name)
{
	for (guint i = 0; i < doc_vectors->len; i++) {
		struct doc_vector *v = doc_vectors->pdata[i];

		if (!strcmp(v->name, name))
			return v;
	}
	return NULL;
}

/* ---- comparison ----------------------------------------------------------- */

static void assert_str_field(const char *a, size_t alen, const char *b, size_t blen)
{
	g_assert_true((a == NULL) == (b == NULL));
	if (a)
		g_assert_cmpmem(a, alen, b, blen);
}

static void assert_rq_equal(const struct simota_deferred_rq *a, const struct simota_deferred_rq *b)
{
	g_assert_cmpint(a->form, ==, b->form);
	g_assert_cmpuint(a->seconds, ==, b->seconds);
	g_assert_cmpint(a->event, ==, b->event);
}

static void assert_msg_equal(const struct simota_deferred_msg *a, const struct simota_deferred_msg *b)
{
	g_assert_cmphex(a->type, ==, b->type);
	g_assert_cmphex(a->txid, ==, b->txid);
	g_assert_cmpuint(a->version, ==, b->version);
	g_assert_cmpint(a->action, ==, b->action);
	assert_str_field(a->text, a->text_len, b->text, b->text_len);
	g_assert_cmpuint(a->n_items, ==, b->n_items);
	for (size_t i = 0; i < a->n_items; i++) {
		g_assert_cmpuint(a->items[i].id, ==, b->items[i].id);
		assert_str_field(a->items[i].text, a->items[i].text_len,
				 b->items[i].text, b->items[i].text_len);
	}
	g_assert_cmpuint(a->default_item, ==, b->default_item);
	g_assert_cmpint(a->has_input, ==, b->has_input);
	if (a->has_input) {
		g_assert_cmpuint(a->input.min_len, ==, b->input.min_len);
		g_assert_cmpuint(a->input.max_len, ==, b->input.max_len);
		g_assert_cmpuint(a->input.flags, ==, b->input.flags);
	}
	g_assert_cmpint(a->has_sv1_address, ==, b->has_sv1_address);
	if (a->has_sv1_address) {
		g_assert_cmpuint(a->sv1_address.ton, ==, b->sv1_address.ton);
		g_assert_cmpuint(a->sv1_address.npi, ==, b->sv1_address.npi);
		g_assert_cmpstr(a->sv1_address.digits, ==, b->sv1_address.digits);
	}
	assert_rq_equal(&a->wanted, &b->wanted);
	assert_rq_equal(&a->rq, &b->rq);
	g_assert_cmpint(a->state, ==, b->state);
	g_assert_cmpint(a->has_result, ==, b->has_result);
	g_assert_cmpuint(a->result.general, ==, b->result.general);
	g_assert_cmpmem(a->result.additional, a->result.additional_len,
			b->result.additional, b->result.additional_len);
	assert_str_field(a->result.text, a->result.text_len, b->result.text, b->result.text_len);
	g_assert_cmpuint(a->result.item_id, ==, b->result.item_id);
	g_assert_cmpint(a->result.yes, ==, b->result.yes);
}

/* Encodes m, decodes the bytes, and checks both directions agree. */
static GByteArray *round_trip(const struct simota_deferred_msg *m)
{
	uint8_t out[4096];
	size_t len;
	struct simota_deferred_msg back;
	GByteArray *bytes = g_byte_array_new();

	g_assert_cmpint(simota_deferred_encode(m, out, sizeof(out), &len), ==, SIMOTA_OK);
	g_assert_cmpint(simota_deferred_decode(out, len, &back), ==, SIMOTA_OK);
	assert_msg_equal(&back, m);
	g_byte_array_append(bytes, out, (guint)len);
	return bytes;
}

/* ---- one doc vector ------------------------------------------------------- */

static void test_doc_vector(gconstpointer data)
{
	const struct expectation *x = data;
	struct doc_vector *v = doc_vector(x->name);
	struct simota_deferred_msg got, want;
	char *attrs;
	simota_err err;

	g_assert_nonnull(v);
	/* the marker's attributes say what this table says */
	attrs = x->error ? g_strdup_printf("error=%s", error_name(x->error))
			 : g_strdup(x->decode_only ? "decode-only" : "");
	g_assert_cmpstr(v->attrs, ==, attrs);
	g_free(attrs);

	err = simota_deferred_decode(v->bytes->data, v->bytes->len, &got);
	g_assert_cmpint(err, ==, x->error);
	if (x->error) {
		g_assert_cmphex(got.txid, ==, x->txid);
		return;
	}
	x->build(&want);
	assert_msg_equal(&got, &want);
	if (!x->decode_only) {
		GByteArray *enc = round_trip(&want);

		g_assert_cmpmem(enc->data, enc->len, v->bytes->data, v->bytes->len);
		g_byte_array_unref(enc);
	}
}

static void test_doc_complete(void)
{
	/* every doc vector has an expectation (the other way round is
	 * checked by each test_doc_vector) */
	for (guint i = 0; i < doc_vectors->len; i++) {
		struct doc_vector *v = doc_vectors->pdata[i];
		bool known = false;

		for (size_t k = 0; k < G_N_ELEMENTS(expectations); k++)
			known |= !strcmp(expectations[k].name, v->name);
		if (!known)
			g_error("doc/protocol.md vector %s has no expectation in this test", v->name);
		g_assert_cmpuint(v->bytes->len, >, 0);
	}
	g_assert_cmpuint(doc_vectors->len, ==, G_N_ELEMENTS(expectations));
}

/* ---- mutations of the positive vectors ------------------------------------ */

struct element {
	uint8_t tag;
	size_t off, len;   /* the whole TLV within the message */
};

/* The top-level elements of a canonical message (short lengths only). */
static size_t split(const GByteArray *b, struct element *el, size_t max)
{
	size_t n = 0, off = 2;

	g_assert_cmpuint(b->data[1], <, 0x80);
	while (off < b->len) {
		g_assert_cmpuint(n, <, max);
		g_assert_cmpuint(b->data[off + 1], <, 0x80);
		el[n].tag = b->data[off];
		el[n].off = off;
		el[n].len = 2 + b->data[off + 1];
		off += el[n].len;
		n++;
	}
	g_assert_cmpuint(off, ==, b->len);
	return n;
}

/* Message bytes with the value replaced (the outer length recomputed). */
static GByteArray *rebuild(uint8_t type, const uint8_t *value, size_t len)
{
	GByteArray *b = g_byte_array_new();
	uint8_t hdr[4] = { type };
	size_t h = 1;

	if (len < 0x80) {
		hdr[h++] = (uint8_t)len;
	} else if (len <= 0xFF) {
		hdr[h++] = 0x81;
		hdr[h++] = (uint8_t)len;
	} else {
		hdr[h++] = 0x82;
		hdr[h++] = (uint8_t)(len >> 8);
		hdr[h++] = (uint8_t)len;
	}
	g_byte_array_append(b, hdr, (guint)h);
	g_byte_array_append(b, value, (guint)len);
	return b;
}

/* What removing one element (tlv: its bytes) of a positive vector must give (§4). */
static simota_err removal_result(const struct simota_deferred_msg *m, const uint8_t *tlv)
{
	switch (tlv[0]) {
	case 0x80: case 0x81: case 0x87: case 0x88: case 0x89: case 0x8A: case 0x8B: case 0x8F:
		return SIMOTA_ERR_MISSING_VALUE;
	case 0x82:
		return m->action == SIMOTA_DEFERRED_SELECT_ITEM ? SIMOTA_OK : SIMOTA_ERR_MISSING_VALUE;
	case 0x83:
		if (m->default_item && tlv[2] == m->default_item)
			return SIMOTA_ERR_BAD_VALUE;	/* 8D then names no item (§3.2) */
		return m->n_items > 1 ? SIMOTA_OK : SIMOTA_ERR_MISSING_VALUE;
	case 0x84:
		return m->wanted.form == SIMOTA_DEFERRED_RQ_UNTIL_EVENT &&
		       m->wanted.event == SIMOTA_DEFERRED_EVENT_MG_SENT ? SIMOTA_ERR_BAD_VALUE : SIMOTA_OK;
	case 0x86:
		return m->type == SIMOTA_DEFERRED_IR ? SIMOTA_ERR_MISSING_VALUE : SIMOTA_OK;
	default:
		return SIMOTA_OK;
	}
}

static void test_mutations(gconstpointer data)
{
	const struct expectation *x = data;
	struct doc_vector *v = doc_vector(x->name);
	const GByteArray *b = v->bytes;
	struct simota_deferred_msg m, got;
	struct element el[32];
	size_t n = split(b, el, G_N_ELEMENTS(el));
	const uint8_t *value = b->data + 2;
	size_t value_len = b->len - 2;

	x->build(&m);

	/* every truncation is an error, never a crash */
	for (size_t cut = 0; cut < b->len; cut++) {
		uint8_t *copy = g_memdup2(b->data, cut);

		g_assert_cmpint(simota_deferred_decode(copy, cut, &got), !=, SIMOTA_OK);
		g_free(copy);
	}
	/* a trailing byte */
	{
		GByteArray *t = g_byte_array_new();

		g_byte_array_append(t, b->data, b->len);
		g_byte_array_append(t, (const uint8_t *)"\x00", 1);
		g_assert_cmpint(simota_deferred_decode(t->data, t->len, &got), ==,
				SIMOTA_ERR_TRAILING_DATA);
		g_byte_array_unref(t);
	}
	/* every element removed: mandatory → MISSING_VALUE (§4) */
	for (size_t i = 0; i < n; i++) {
		GByteArray *cut = g_byte_array_new(), *msg;

		g_byte_array_append(cut, value, (guint)(el[i].off - 2));
		g_byte_array_append(cut, b->data + el[i].off + el[i].len,
				    (guint)(b->len - el[i].off - el[i].len));
		msg = rebuild(b->data[0], cut->data, cut->len);
		if (g_test_verbose())
			g_test_message("%s without %02x", x->name, el[i].tag);
		g_assert_cmpint(simota_deferred_decode(msg->data, msg->len, &got), ==,
				removal_result(&m, b->data + el[i].off));
		g_byte_array_unref(cut);
		g_byte_array_unref(msg);
	}
	/* every singleton element twice → DUPLICATE; a repeated item → its own rule */
	for (size_t i = 0; i < n; i++) {
		GByteArray *twice = g_byte_array_new(), *msg;
		simota_err want = SIMOTA_ERR_DUPLICATE;

		g_byte_array_append(twice, value, (guint)value_len);
		g_byte_array_append(twice, b->data + el[i].off, (guint)el[i].len);
		msg = rebuild(b->data[0], twice->data, twice->len);
		if (el[i].tag == 0x83)
			want = SIMOTA_ERR_DUPLICATE;	/* same item id */
		g_assert_cmpint(simota_deferred_decode(msg->data, msg->len, &got), ==, want);
		g_byte_array_unref(twice);
		g_byte_array_unref(msg);
	}
	/* unknown elements anywhere are skipped */
	static const char *const unknown[] = { "8e00", "8e0101", "9f700100", "bf0103800100", "0100", "c00142" };
	for (size_t u = 0; u < G_N_ELEMENTS(unknown); u++) {
		for (size_t at = 0; at <= n; at++) {
			size_t ulen, off = at < n ? el[at].off - 2 : value_len;
			uint8_t *ub = tv_hex(unknown[u], &ulen);
			GByteArray *with = g_byte_array_new(), *msg;

			g_byte_array_append(with, value, (guint)off);
			g_byte_array_append(with, ub, (guint)ulen);
			g_byte_array_append(with, value + off, (guint)(value_len - off));
			msg = rebuild(b->data[0], with->data, with->len);
			g_assert_cmpint(simota_deferred_decode(msg->data, msg->len, &got), ==, SIMOTA_OK);
			assert_msg_equal(&got, &m);
			g_byte_array_unref(with);
			g_byte_array_unref(msg);
			g_free(ub);
		}
	}
	/* elements in reverse order decode the same (§3; items keep their order) */
	{
		GByteArray *rev = g_byte_array_new(), *msg;

		for (size_t i = 0; i < n; i++)
			if (el[i].tag == 0x83)
				g_byte_array_append(rev, b->data + el[i].off, (guint)el[i].len);
		for (size_t i = n; i-- > 0;)
			if (el[i].tag != 0x83)
				g_byte_array_append(rev, b->data + el[i].off, (guint)el[i].len);
		msg = rebuild(b->data[0], rev->data, rev->len);
		g_assert_cmpint(simota_deferred_decode(msg->data, msg->len, &got), ==, SIMOTA_OK);
		assert_msg_equal(&got, &m);
		g_byte_array_unref(rev);
		g_byte_array_unref(msg);
	}
	/* long length forms are accepted */
	{
		GByteArray *msg = g_byte_array_new();
		uint8_t hdr[] = { b->data[0], 0x82, 0x00, (uint8_t)value_len };

		g_byte_array_append(msg, hdr, sizeof(hdr));
		g_byte_array_append(msg, value, (guint)value_len);
		g_assert_cmpint(simota_deferred_decode(msg->data, msg->len, &got), ==, SIMOTA_OK);
		assert_msg_equal(&got, &m);
		g_byte_array_unref(msg);
	}
	/* every output capacity short of the need → NO_SPACE, nothing past cap */
	for (size_t cap = 0; cap < b->len; cap++) {
		uint8_t out[512];
		size_t len;

		memset(out, 0xA5, sizeof(out));
		g_assert_cmpint(simota_deferred_encode(&m, out, cap, &len), ==, SIMOTA_ERR_NO_SPACE);
		for (size_t i = cap; i < sizeof(out); i++)
			g_assert_cmpuint(out[i], ==, 0xA5);
	}
}

/* ---- hand-made cases ------------------------------------------------------ */

static void assert_encode_err(const struct simota_deferred_msg *m, simota_err want)
{
	uint8_t out[1024];
	size_t len;

	g_assert_cmpint(simota_deferred_encode(m, out, sizeof(out), &len), ==, want);
}

static void assert_decode_hex(const char *hex, simota_err want)
{
	size_t len;
	uint8_t *p = tv_hex(hex, &len);
	struct simota_deferred_msg m;

	if (g_test_verbose())
		g_test_message("decode %s", hex);
	g_assert_cmpint(simota_deferred_decode(p, len, &m), ==, want);
	g_free(p);
}

static void test_encoder_refuses(void)
{
	struct simota_deferred_msg m;

	b_c1_display_text(&m);
	m.txid = 0;
	assert_encode_err(&m, SIMOTA_ERR_BAD_VALUE);
	b_c1_display_text(&m);
	m.has_sv1_address = false;	/* "until MG sent" needs it */
	assert_encode_err(&m, SIMOTA_ERR_BAD_VALUE);
	b_c1_display_text(&m);
	m.text_len = 0;
	assert_encode_err(&m, SIMOTA_ERR_BAD_VALUE);
	b_c1_display_text(&m);
	m.text = NULL;
	assert_encode_err(&m, SIMOTA_ERR_MISSING_VALUE);
	b_c1_display_text(&m);
	m.text = "\xc3\x28";
	m.text_len = 2;
	assert_encode_err(&m, SIMOTA_ERR_BAD_ENCODING);
	b_c1_display_text(&m);
	m.action = 9;
	assert_encode_err(&m, SIMOTA_ERR_UNSUPPORTED);
	b_c1_display_text(&m);
	m.version = 2;
	assert_encode_err(&m, SIMOTA_ERR_UNSUPPORTED);
	b_c1_display_text(&m);
	m.version = 0;
	assert_encode_err(&m, SIMOTA_ERR_BAD_VALUE);
	b_c1_display_text(&m);
	m.n_items = 1;
	m.items[0].id = 1;
	TEXT(m.items[0].text, "x");
	assert_encode_err(&m, SIMOTA_ERR_BAD_VALUE);	/* items only with select item */
	b_c1_display_text(&m);
	m.has_input = true;
	m.input.max_len = 5;
	assert_encode_err(&m, SIMOTA_ERR_BAD_VALUE);	/* input only with get input */
	b_c1_display_text(&m);
	m.type = 0xA5;
	assert_encode_err(&m, SIMOTA_ERR_BAD_TAG);

	b_c1_get_input(&m);
	m.input.min_len = 9;
	assert_encode_err(&m, SIMOTA_ERR_BAD_VALUE);
	b_c1_get_input(&m);
	m.input.max_len = 0;
	m.input.min_len = 0;
	assert_encode_err(&m, SIMOTA_ERR_BAD_VALUE);
	b_c1_get_input(&m);
	m.input.flags = 0x04;
	assert_encode_err(&m, SIMOTA_ERR_BAD_VALUE);
	b_c1_get_input(&m);
	m.wanted.seconds = 0;
	assert_encode_err(&m, SIMOTA_ERR_BAD_VALUE);
	b_c1_get_input(&m);
	m.wanted.form = 7;
	assert_encode_err(&m, SIMOTA_ERR_BAD_VALUE);

	b_c1_select_item(&m);
	m.items[2].id = 1;
	assert_encode_err(&m, SIMOTA_ERR_DUPLICATE);
	b_c1_select_item(&m);
	m.items[1].id = 0;
	assert_encode_err(&m, SIMOTA_ERR_BAD_VALUE);
	b_c1_select_item(&m);
	m.items[1].text_len = 0;
	assert_encode_err(&m, SIMOTA_ERR_BAD_VALUE);
	b_c1_select_item(&m);
	m.n_items = 0;
	assert_encode_err(&m, SIMOTA_ERR_MISSING_VALUE);
	b_c1_select_item(&m);
	m.n_items = SIMOTA_DEFERRED_MAX_ITEMS + 1;
	assert_encode_err(&m, SIMOTA_ERR_BAD_VALUE);
	b_c1_select_item_default(&m);
	m.default_item = 4;
	assert_encode_err(&m, SIMOTA_ERR_BAD_VALUE);	/* 8D names no item */
	b_c1_select_item_default(&m);
	m.n_items = 1;
	assert_encode_err(&m, SIMOTA_ERR_BAD_VALUE);	/* ... once item 02 is gone */
	b_c1_display_text(&m);
	m.default_item = 1;
	assert_encode_err(&m, SIMOTA_ERR_BAD_VALUE);	/* a default only with select item */

	b_ir_fixed(&m);
	m.rq.form = SIMOTA_DEFERRED_RQ_NONE;
	assert_encode_err(&m, SIMOTA_ERR_MISSING_VALUE);
	b_ir_until_mg(&m);
	m.rq.event = 0;
	assert_encode_err(&m, SIMOTA_ERR_BAD_VALUE);
	b_ir_indefinite(&m);
	m.rq.seconds = 5;
	assert_encode_err(&m, SIMOTA_ERR_BAD_VALUE);

	b_r2s_done_get_input(&m);
	m.result.text = NULL;
	assert_encode_err(&m, SIMOTA_ERR_MISSING_VALUE);
	b_r2s_done_get_input(&m);
	m.result.item_id = 3;
	assert_encode_err(&m, SIMOTA_ERR_BAD_VALUE);
	b_r2s_done_yes(&m);
	m.result.yes = 2;
	assert_encode_err(&m, SIMOTA_ERR_BAD_VALUE);
	b_r2s_done_yes(&m);
	m.has_result = false;
	assert_encode_err(&m, SIMOTA_ERR_MISSING_VALUE);
	b_r2s_done_display_text(&m);
	m.action = SIMOTA_DEFERRED_ACTION_NONE;
	assert_encode_err(&m, SIMOTA_ERR_MISSING_VALUE);
	b_r2s_backward(&m);
	m.result.item_id = 1;
	assert_encode_err(&m, SIMOTA_ERR_BAD_VALUE);
	b_r2s_pending(&m);
	m.has_result = true;
	assert_encode_err(&m, SIMOTA_ERR_BAD_VALUE);
	b_r2s_pending(&m);
	m.action = SIMOTA_DEFERRED_DISPLAY_TEXT;
	assert_encode_err(&m, SIMOTA_ERR_BAD_VALUE);
	b_r2s_full(&m);
	m.rq.form = SIMOTA_DEFERRED_RQ_INDEFINITE;
	m.rq.seconds = 0;
	assert_encode_err(&m, SIMOTA_ERR_BAD_VALUE);	/* retry-after is fixed only */
	b_r2s_expired(&m);
	m.rq.form = SIMOTA_DEFERRED_RQ_FIXED;
	m.rq.seconds = 1;
	assert_encode_err(&m, SIMOTA_ERR_BAD_VALUE);
	b_r2s_expired(&m);
	m.txid = 0;
	assert_encode_err(&m, SIMOTA_ERR_BAD_VALUE);	/* 00000000 only for bad request */
	b_r2s_expired(&m);
	m.state = 8;
	assert_encode_err(&m, SIMOTA_ERR_BAD_VALUE);
}

/* type + value hex: the outer length is computed */
static void assert_decode_body(uint8_t type, const char *value_hex, simota_err want)
{
	size_t len;
	char *hex = g_strdup(value_hex);
	uint8_t *v;
	GByteArray *msg;

	for (char *r = hex, *w = hex;; r++) {	/* drop the spaces */
		if (*r != ' ')
			*w++ = *r;
		if (!*r)
			break;
	}
	v = tv_hex(hex, &len);
	g_free(hex);
	msg = rebuild(type, v, len);
	struct simota_deferred_msg m;

	if (g_test_verbose())
		g_test_message("decode %02x %s", type, value_hex);
	g_assert_cmpint(simota_deferred_decode(msg->data, msg->len, &m), ==, want);
	g_byte_array_unref(msg);
	g_free(v);
}

#define TX "80040000002a"

static void test_decoder_cases(void)
{
	struct simota_deferred_msg m;
	size_t len;
	uint8_t *p;

	/* framing */
	assert_decode_hex("", SIMOTA_ERR_TRUNCATED);
	assert_decode_hex("a1", SIMOTA_ERR_TRUNCATED);
	assert_decode_hex("a30680040000002a", SIMOTA_ERR_BAD_TAG);	/* no such message */
	assert_decode_hex("80040000002a", SIMOTA_ERR_BAD_TAG);
	assert_decode_hex("a10680040000002a00", SIMOTA_ERR_TRAILING_DATA);
	assert_decode_hex("a183", SIMOTA_ERR_BAD_LENGTH);
	assert_decode_body(0xA1, "80050000002a", SIMOTA_ERR_TRUNCATED);	/* inner length */
	assert_decode_body(0xA1, "80840000002a", SIMOTA_ERR_BAD_LENGTH);
	assert_decode_body(0xA1, "8005000000002a", SIMOTA_ERR_BAD_LENGTH);	/* 5-byte txid */
	assert_decode_body(0xA1, "800400000000", SIMOTA_ERR_BAD_VALUE);	/* txid 0 */
	assert_decode_body(0xA1, "", SIMOTA_ERR_MISSING_VALUE);
	/* RQ forms and lengths */
	assert_decode_body(0xB0, TX "860101", SIMOTA_ERR_BAD_LENGTH);
	assert_decode_body(0xB0, TX "86050100000000", SIMOTA_ERR_BAD_VALUE);
	assert_decode_body(0xB0, TX "86020200", SIMOTA_ERR_BAD_LENGTH);
	assert_decode_body(0xB0, TX "86020303", SIMOTA_ERR_BAD_VALUE);
	assert_decode_body(0xB0, TX "86020300", SIMOTA_ERR_BAD_VALUE);
	assert_decode_body(0xB0, TX "8606030100000000", SIMOTA_ERR_BAD_VALUE);
	assert_decode_body(0xB0, TX "8603030100", SIMOTA_ERR_BAD_LENGTH);
	assert_decode_body(0xB0, TX "860104", SIMOTA_ERR_BAD_VALUE);
	assert_decode_body(0xB0, TX "8600", SIMOTA_ERR_BAD_LENGTH);
	assert_decode_body(0xB0, TX, SIMOTA_ERR_MISSING_VALUE);
	assert_decode_body(0xB0, TX "860102" "860102", SIMOTA_ERR_DUPLICATE);
	/* state */
	assert_decode_body(0xB2, TX, SIMOTA_ERR_MISSING_VALUE);
	assert_decode_body(0xB2, TX "870108", SIMOTA_ERR_BAD_VALUE);
	assert_decode_body(0xB2, TX "87020000", SIMOTA_ERR_BAD_LENGTH);
	assert_decode_body(0xB2, TX "870105", SIMOTA_ERR_MISSING_VALUE);	/* no 8F */
	assert_decode_body(0xB2, TX "870106", SIMOTA_OK);
	assert_decode_body(0xB2, "800400000000870106", SIMOTA_OK);
	assert_decode_body(0xB2, "800400000000870102", SIMOTA_ERR_BAD_VALUE);
	assert_decode_body(0xB2, TX "870103" "860102", SIMOTA_ERR_BAD_VALUE);	/* RQ only pending/full */
	assert_decode_body(0xB2, TX "870104" "860102", SIMOTA_ERR_BAD_VALUE);	/* full: fixed only */
	assert_decode_body(0xB2, TX "870101" "860102", SIMOTA_OK);
	/* result and answers */
	assert_decode_body(0xB2, TX "810101870100" "8800", SIMOTA_ERR_BAD_LENGTH);
	assert_decode_body(0xB2, TX "810103870100880100" "8a0100", SIMOTA_ERR_BAD_VALUE);
	assert_decode_body(0xB2, TX "810104870100880100" "8b0102", SIMOTA_ERR_BAD_VALUE);
	assert_decode_body(0xB2, TX "810104870100880100" "8b0100", SIMOTA_OK);
	assert_decode_body(0xB2, TX "810104870100880100" "8b020100", SIMOTA_ERR_BAD_LENGTH);
	assert_decode_body(0xB2, TX "810102870100880100" "8900", SIMOTA_OK);	/* empty text */
	assert_decode_body(0xB2, TX "810102870100880100" "8902c328", SIMOTA_ERR_BAD_ENCODING);
	assert_decode_body(0xB2, TX "810101870100880100" "8901 78", SIMOTA_ERR_BAD_VALUE);
	assert_decode_body(0xB2, TX "810102870100880120" "890178", SIMOTA_ERR_BAD_VALUE);
	assert_decode_body(0xB2, TX "810100870100880100", SIMOTA_ERR_BAD_VALUE);	/* action 00 */
	assert_decode_body(0xB2, TX "810109870100880100", SIMOTA_ERR_UNSUPPORTED);
	assert_decode_body(0xB2, TX "810101870101880100", SIMOTA_ERR_BAD_VALUE);	/* pending + result */
	assert_decode_body(0xB2, TX "870101" "8a0101", SIMOTA_ERR_BAD_VALUE);
	assert_decode_body(0xB2, TX "870100880100", SIMOTA_ERR_MISSING_VALUE);	/* done, no action */
	assert_decode_body(0xB2, TX "810101870100", SIMOTA_ERR_MISSING_VALUE);	/* done, no result */
	/* C1 elements */
	assert_decode_body(0xA0, TX "810101820178", SIMOTA_OK);
	assert_decode_body(0xA0, TX "8101018200", SIMOTA_ERR_BAD_VALUE);	/* empty text */
	assert_decode_body(0xA0, TX "8101018202c328", SIMOTA_ERR_BAD_ENCODING);
	assert_decode_body(0xA0, TX "810101820278 00", SIMOTA_ERR_BAD_ENCODING);	/* NUL */
	assert_decode_body(0xA0, TX "810103830201 78", SIMOTA_OK);
	assert_decode_body(0xA0, TX "810103830101", SIMOTA_ERR_BAD_VALUE);	/* item w/o text */
	assert_decode_body(0xA0, TX "8101038300", SIMOTA_ERR_BAD_LENGTH);
	assert_decode_body(0xA0, TX "810103830200 78", SIMOTA_ERR_BAD_VALUE);	/* id 00 */
	assert_decode_body(0xA0, TX "81010383030 1c328", SIMOTA_ERR_BAD_ENCODING);
	assert_decode_body(0xA0, TX "810103830201 78830201 79", SIMOTA_ERR_DUPLICATE);
	assert_decode_body(0xA0, TX "810103", SIMOTA_ERR_MISSING_VALUE);
	assert_decode_body(0xA0, TX, SIMOTA_ERR_MISSING_VALUE);
	assert_decode_body(0xA0, TX "81020101", SIMOTA_ERR_BAD_LENGTH);
	assert_decode_body(0xA0, TX "810101820178 830201 78", SIMOTA_ERR_BAD_VALUE);	/* item, no select */
	/* 84: exactly one TP address */
	assert_decode_body(0xA0, TX "810101820178 8405 05a12143f5", SIMOTA_OK);
	assert_decode_body(0xA0, TX "810101820178 8406 05a12143f500", SIMOTA_ERR_BAD_VALUE);
	assert_decode_body(0xA0, TX "810101820178 8404 05a12143", SIMOTA_ERR_BAD_VALUE);
	assert_decode_body(0xA0, TX "810101820178 8400", SIMOTA_ERR_BAD_VALUE);
	assert_decode_body(0xA0, TX "810101820178 8506030100000e10", SIMOTA_ERR_BAD_VALUE);	/* MG, no address */
	assert_decode_body(0xA0, TX "810101820178 85020301", SIMOTA_ERR_BAD_VALUE);
	assert_decode_body(0xA0, TX "810101820178 85020302", SIMOTA_OK);
	/* 8C */
	assert_decode_body(0xA0, TX "810102820178 8c020108", SIMOTA_ERR_BAD_LENGTH);
	assert_decode_body(0xA0, TX "810102820178 8c03090800", SIMOTA_ERR_BAD_VALUE);
	assert_decode_body(0xA0, TX "810102820178 8c03000000", SIMOTA_ERR_BAD_VALUE);
	assert_decode_body(0xA0, TX "810102820178 8c03000180", SIMOTA_ERR_BAD_VALUE);
	assert_decode_body(0xA0, TX "810102820178 8c03000103", SIMOTA_OK);
	assert_decode_body(0xA0, TX "810101820178 8c03000103", SIMOTA_ERR_BAD_VALUE);
	/* 8D: one byte, one of the C1's items, select item only */
	assert_decode_body(0xA0, TX "810103830201 78830202 79" "8d0102", SIMOTA_OK);
	assert_decode_body(0xA0, TX "810103" "8d0102" "830201 78830202 79", SIMOTA_OK);	/* any order */
	assert_decode_body(0xA0, TX "810103830201 78830202 79" "8d0103", SIMOTA_ERR_BAD_VALUE);
	assert_decode_body(0xA0, TX "810103830201 78830202 79" "8d0100", SIMOTA_ERR_BAD_VALUE);
	assert_decode_body(0xA0, TX "810103830201 78830202 79" "8d00", SIMOTA_ERR_BAD_LENGTH);
	assert_decode_body(0xA0, TX "810103830201 78830202 79" "8d020102", SIMOTA_ERR_BAD_LENGTH);
	assert_decode_body(0xA0, TX "810103830201 78830202 79" "8d0101 8d0101", SIMOTA_ERR_DUPLICATE);
	assert_decode_body(0xA0, TX "810102820178 8c03000103 8d0101", SIMOTA_ERR_BAD_VALUE);
	assert_decode_body(0xA0, TX "810101820178 8d0101", SIMOTA_ERR_BAD_VALUE);
	/* in other messages 8D is not defined: skipped, whatever it holds (§3.6 rule 3) */
	assert_decode_body(0xA1, TX "8d00", SIMOTA_OK);
	assert_decode_body(0xB2, TX "870106" "8d0103", SIMOTA_OK);
	/* version */
	assert_decode_body(0xA1, TX "8f0101", SIMOTA_OK);
	assert_decode_body(0xA1, TX "8f0100", SIMOTA_ERR_BAD_VALUE);
	assert_decode_body(0xA1, TX "8f020101", SIMOTA_ERR_BAD_LENGTH);
	assert_decode_body(0xA1, TX "8f0101 8f0101", SIMOTA_ERR_DUPLICATE);
	assert_decode_body(0xB1, TX "8f0102", SIMOTA_ERR_UNSUPPORTED);

	/* a future version is reported before its elements are judged */
	p = tv_hex("a00f800400000044810105" "8f0103" "8601ff", &len);
	g_assert_cmpint(simota_deferred_decode(p, len, &m), ==, SIMOTA_ERR_UNSUPPORTED);
	g_assert_cmphex(m.txid, ==, 0x44);
	g_assert_cmpuint(m.version, ==, 3);
	g_assert_cmphex(m.type, ==, SIMOTA_DEFERRED_C1);
	g_free(p);
	/* a "not supported" answer from a newer card is readable */
	p = tv_hex("b20c8004000000458701058f0102", &len);
	g_assert_cmpint(simota_deferred_decode(p, len, &m), ==, SIMOTA_OK);
	g_assert_cmpuint(m.version, ==, 2);
	g_assert_cmpint(m.state, ==, SIMOTA_DEFERRED_NOT_SUPPORTED);
	g_free(p);
}

static void test_round_trips(void)
{
	struct simota_deferred_msg m;
	GString *long_text = g_string_new(NULL);
	GByteArray *b;
	static const uint8_t info[] = { 0x01, 0x02, 0x03 };

	/* a text long enough for the 81 and 82 length forms */
	for (int i = 0; i < 100; i++)
		g_string_append(long_text, "Zahlung bestätigen? ");
	b_c1_display_text(&m);
	m.text = long_text->str;
	m.text_len = 150;
	b = round_trip(&m);
	g_assert_cmphex(b->data[1], ==, 0x81);
	g_byte_array_unref(b);
	m.text_len = long_text->len;
	b = round_trip(&m);
	g_assert_cmphex(b->data[1], ==, 0x82);
	g_byte_array_unref(b);

	/* the most items, every id */
	b_c1_select_item(&m);
	m.text = NULL;		/* title optional */
	for (size_t i = 0; i < SIMOTA_DEFERRED_MAX_ITEMS; i++) {
		m.items[i].id = (uint8_t)(0xFF - i);
		TEXT(m.items[i].text, "Ω item");
	}
	m.n_items = SIMOTA_DEFERRED_MAX_ITEMS;
	m.has_sv1_address = true;
	m.sv1_address.ton = 1;
	m.sv1_address.npi = 1;
	g_strlcpy(m.sv1_address.digits, "447700900123", sizeof(m.sv1_address.digits));
	m.wanted.form = SIMOTA_DEFERRED_RQ_UNTIL_EVENT;
	m.wanted.event = SIMOTA_DEFERRED_EVENT_MG_SENT;
	m.wanted.seconds = 0;
	g_byte_array_unref(round_trip(&m));
	/* the default is any of them: the first, the last */
	m.default_item = m.items[0].id;
	g_byte_array_unref(round_trip(&m));
	m.default_item = m.items[SIMOTA_DEFERRED_MAX_ITEMS - 1].id;
	g_byte_array_unref(round_trip(&m));
	m.default_item = 0;
	{
		/* one item more is refused by the decoder */
		uint8_t out[4096];
		size_t len;
		GByteArray *more;

		g_assert_cmpint(simota_deferred_encode(&m, out, sizeof(out), &len), ==, SIMOTA_OK);
		size_t hdr = out[1] < 0x80 ? 2 : out[1] == 0x81 ? 3 : 4;

		more = g_byte_array_new();
		g_byte_array_append(more, out + hdr, (guint)(len - hdr));
		g_byte_array_append(more, (const uint8_t *)"\x83\x02\x01x", 4);
		{
			GByteArray *msg = rebuild(0xA0, more->data, more->len);
			struct simota_deferred_msg got;

			g_assert_cmpint(simota_deferred_decode(msg->data, msg->len, &got), ==,
					SIMOTA_ERR_BAD_VALUE);
			g_byte_array_unref(msg);
		}
		g_byte_array_unref(more);
	}

	/* every result family for every action */
	for (int action = 1; action <= 4; action++) {
		static const uint8_t generals[] = { 0x00, 0x01, 0x04, 0x10, 0x11, 0x12, 0x20, 0x32 };

		for (size_t g = 0; g < G_N_ELEMENTS(generals); g++) {
			done(&m, 0x1000 + (uint32_t)action, action, generals[g]);
			if (generals[g] < 0x10) {
				if (action == SIMOTA_DEFERRED_GET_INPUT)
					TEXT(m.result.text, g ? "ЗДРАВСТВУЙТЕ" : "");
				else if (action == SIMOTA_DEFERRED_SELECT_ITEM)
					m.result.item_id = 0xFF;
				else if (action == SIMOTA_DEFERRED_YES_NO)
					m.result.yes = (int)(g % 2);
			}
			if (generals[g] >= 0x20) {
				m.result.additional = info;
				m.result.additional_len = g % 3 + 1;
			}
			g_byte_array_unref(round_trip(&m));
		}
	}
	/* until-event with and without a bound, large numbers */
	b_ir_until_mg(&m);
	m.rq.seconds = 0xFFFFFFFF;
	m.txid = 0xFFFFFFFF;
	g_byte_array_unref(round_trip(&m));
	b_r2s_pending(&m);
	m.rq.form = SIMOTA_DEFERRED_RQ_NONE;
	m.rq.seconds = 0;
	g_byte_array_unref(round_trip(&m));
	b_r2s_pending(&m);
	m.rq.form = SIMOTA_DEFERRED_RQ_UNTIL_EVENT;
	m.rq.event = SIMOTA_DEFERRED_EVENT_MG_SENT;
	m.rq.seconds = 0;
	g_byte_array_unref(round_trip(&m));
	b_r2s_not_supported(&m);
	m.version = 7;
	b = round_trip(&m);
	g_assert_cmphex(b->data[b->len - 1], ==, 7);
	g_byte_array_unref(b);
	b_r2s_full(&m);
	m.rq.form = SIMOTA_DEFERRED_RQ_NONE;
	m.rq.seconds = 0;
	g_byte_array_unref(round_trip(&m));
	g_string_free(long_text, TRUE);
}

static void test_names(void)
{
	g_assert_cmpstr(simota_deferred_type_name(SIMOTA_DEFERRED_R2S), ==, "R2S");
	g_assert_cmpstr(simota_deferred_type_name(SIMOTA_DEFERRED_C1), ==, "C1");
	g_assert_cmpstr(simota_deferred_state_name(SIMOTA_DEFERRED_FULL), ==, "full");
	g_assert_cmpstr(simota_deferred_state_name((enum simota_deferred_state)99), ==, "invalid");
	g_assert_cmpstr(simota_deferred_action_name(SIMOTA_DEFERRED_YES_NO), ==, "yes-no");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	load_doc();
	g_test_add_func("/deferred/doc/complete", test_doc_complete);
	for (size_t i = 0; i < G_N_ELEMENTS(expectations); i++) {
		char *path = g_strdup_printf("/deferred/doc/%s", expectations[i].name);

		g_test_add_data_func(path, &expectations[i], test_doc_vector);
		g_free(path);
		if (expectations[i].build && !expectations[i].decode_only) {
			path = g_strdup_printf("/deferred/mutations/%s", expectations[i].name);
			g_test_add_data_func(path, &expectations[i], test_mutations);
			g_free(path);
		}
	}
	g_test_add_func("/deferred/encoder-refuses", test_encoder_refuses);
	g_test_add_func("/deferred/decoder-cases", test_decoder_cases);
	g_test_add_func("/deferred/round-trips", test_round_trips);
	g_test_add_func("/deferred/names", test_names);
	return g_test_run();
}
