/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The org.ofono.SimToolkitAgent methods as oFono 1.31 calls them
 * (doc/stk-api.txt; the argument lists and the accepted replies and error
 * names are those of src/stkagent.c, which differ from the doc in the error
 * names: org.ofono.Error.GoBack/.EndSession/.Busy, no ".SimToolkit").
 *
 * A request is one call decoded from its GVariant parameters; a reply is
 * what the agent answers: a value of the method's out type, an error name,
 * or nothing yet.  No D-Bus connection here: pure data, unit-tested.
 */
#ifndef STKAGENT_REQUEST_H
#define STKAGENT_REQUEST_H

#include <glib.h>
#include <stdbool.h>

/* GError domain of the pure parts (request, answers): code always 0 */
#define STKAGENT_ERROR (stkagent_error_quark())
GQuark stkagent_error_quark(void);

#define STKAGENT_INTERFACE	"org.ofono.SimToolkitAgent"
#define STKAGENT_ERROR_GO_BACK	"org.ofono.Error.GoBack"
#define STKAGENT_ERROR_END	"org.ofono.Error.EndSession"
#define STKAGENT_ERROR_BUSY	"org.ofono.Error.Busy"

/* What kind of answer a method takes. */
enum stkagent_shape {
	STKAGENT_SHAPE_ACK,		/* returns nothing: acknowledge */
	STKAGENT_SHAPE_CONFIRM,		/* returns b */
	STKAGENT_SHAPE_INPUT,		/* returns s, min..max characters */
	STKAGENT_SHAPE_KEY,		/* returns s, one character */
	STKAGENT_SHAPE_SELECT,		/* returns y, index into items */
	STKAGENT_SHAPE_NOREPLY,		/* Cancel, Release */
};

enum stkagent_method {
	STKAGENT_DISPLAY_TEXT,
	STKAGENT_REQUEST_INPUT,
	STKAGENT_REQUEST_DIGITS,
	STKAGENT_REQUEST_KEY,
	STKAGENT_REQUEST_DIGIT,
	STKAGENT_REQUEST_QUICK_DIGIT,
	STKAGENT_REQUEST_CONFIRMATION,
	STKAGENT_REQUEST_SELECTION,
	STKAGENT_CONFIRM_CALL_SETUP,
	STKAGENT_PLAY_TONE,
	STKAGENT_LOOP_TONE,
	STKAGENT_DISPLAY_ACTION_INFORMATION,
	STKAGENT_CONFIRM_LAUNCH_BROWSER,
	STKAGENT_DISPLAY_ACTION,
	STKAGENT_CONFIRM_OPEN_CHANNEL,
	STKAGENT_CANCEL,
	STKAGENT_RELEASE,
	STKAGENT_METHOD__COUNT
};

/* The characters of a digit answer (TS 102 223 §6.4.3 "digits only"; oFono's get_digit_cb) */
#define STKAGENT_DIGITS		"0123456789*#+"

/* Error names a method's caller accepts (src/stkagent.c check_error()). */
#define STKAGENT_ALLOW_GO_BACK	0x1
#define STKAGENT_ALLOW_END	0x2
#define STKAGENT_ALLOW_BUSY	0x4

struct stkagent_method_info {
	const char *name;
	const char *in_signature;	/* GVariant tuple type of the arguments */
	const char *out_signature;	/* "" when the method returns nothing */
	enum stkagent_shape shape;
	unsigned int allowed_errors;
	const char *in_args;		/* the argument names, space-separated */
	const char *out_arg;		/* the answer's name; NULL when none */
};

const struct stkagent_method_info *stkagent_method_info(enum stkagent_method m);
/* Looks a method up by its D-Bus name; false when unknown. */
bool stkagent_method_lookup(const char *name, enum stkagent_method *out);
/* The D-Bus introspection XML of org.ofono.SimToolkitAgent. */
const char *stkagent_introspection_xml(void);

struct stkagent_item {
	char *text;
	guint8 icon;
};

/* One call from oFono, decoded.  Unused fields are zero / NULL. */
struct stkagent_request {
	enum stkagent_method method;
	char *text;		/* alpha / text / title / information */
	char *tone;		/* PlayTone, LoopTone */
	char *default_text;	/* RequestInput, RequestDigits */
	char *url;		/* ConfirmLaunchBrowser */
	guint8 icon;
	guint8 min_len, max_len;	/* RequestInput, RequestDigits */
	bool hide_typing;
	bool urgent;		/* DisplayText */
	gint16 default_item;	/* RequestSelection, -1 for none */
	struct stkagent_item *items;
	guint n_items;
};

/*
 * Decodes the parameters of a call; false (and *error set) when their
 * type is not the method's in_signature.
 */
bool stkagent_request_init(struct stkagent_request *req, enum stkagent_method method,
			   GVariant *parameters, GError **error);
void stkagent_request_clear(struct stkagent_request *req);

enum stkagent_reply_kind {
	STKAGENT_REPLY_NONE,		/* do not answer (yet) */
	STKAGENT_REPLY_VALUE,		/* method return */
	STKAGENT_REPLY_ERROR,		/* D-Bus error */
};

struct stkagent_reply {
	enum stkagent_reply_kind kind;
	/* VALUE: by shape: ACK none, CONFIRM boolean, INPUT/KEY string, SELECT index */
	bool boolean;
	char *string;
	guint8 index;
	const char *error_name;	/* ERROR: one of the STKAGENT_ERROR_* names */
	char *note;		/* why the answer does not fit, or NULL */
};

void stkagent_reply_clear(struct stkagent_reply *reply);
/* The method-return body of a VALUE reply for this method: a floating tuple. */
GVariant *stkagent_reply_to_variant(const struct stkagent_reply *reply, enum stkagent_method method);

/*
 * Whether oFono 1.31 takes this reply without dropping the agent: the error
 * name is one the method allows, strings have the right length and
 * characters, the index names an item.  Otherwise returns false and a
 * reason.  (oFono releases an agent that answers badly.)
 */
bool stkagent_reply_acceptable(const struct stkagent_request *req,
			       const struct stkagent_reply *reply, char **reason);

#endif
