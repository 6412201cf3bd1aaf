/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One QMI modem control device (PATH) as the plugin's QMI backends share
 * it: one QmiDevice, opened through qmi-proxy (QMI_DEVICE_OPEN_FLAGS_PROXY)
 * so that ModemManager or qmicli can use the modem at the same time, kept
 * open while someone watches it, opened again with backoff (250 ms doubling
 * to 5 s) when the modem goes away (the proxy hung up: "device-removed") or
 * a watcher finds it answering nothing (sb_qmi_port_fail()).
 *
 * Watchers (net/qmi.c; the card backend with Uicc=qmi on the same PATH)
 * allocate their own clients when the device is up and drop them when it
 * goes down.  Everything runs on the GLib main loop; no call blocks.
 * libqmi's message tracing stays off: it would print PINs (libqmi does
 * not mark UIM PIN values as personal data).
 */
#ifndef SB_QMI_PORT_H
#define SB_QMI_PORT_H

#include <libqmi-glib.h>
#include <stdbool.h>

/* The bounded wait of every QMI request the plugin sends, in seconds. */
#define SB_QMI_TIMEOUT_S 10

struct sb_qmi_port;

struct sb_qmi_watch {
	/* The device is open: allocate clients on dev (which stays valid until down). */
	void (*up)(QmiDevice *dev, void *user);
	/* The device is gone or closed: drop every client (never release them: the device may be gone). */
	void (*down)(const char *why, void *user);
};

/* The port of path (shared: one per path in this process); name is for logs. */
struct sb_qmi_port *sb_qmi_port_ref(const char *path, const char *name);
void sb_qmi_port_unref(struct sb_qmi_port *p);

/* Watching: the device is opened (if not yet) and w->up() runs once it is (from the main loop if already). */
void sb_qmi_port_watch(struct sb_qmi_port *p, const struct sb_qmi_watch *w, void *user);
/* No callback for user after this; the device is closed when nobody watches. */
void sb_qmi_port_unwatch(struct sb_qmi_port *p, void *user);

/*
 * The modem misbehaves (no answer within the bounded wait, answers that do
 * not parse): logged once until the port has worked again, then the device
 * is closed (every watcher's down()) and opened again after the backoff.
 */
void sb_qmi_port_fail(struct sb_qmi_port *p, const char *why);
/* The modem answered as it should: the next failure is logged again and the backoff starts over. */
void sb_qmi_port_worked(struct sb_qmi_port *p);

const char *sb_qmi_port_path(const struct sb_qmi_port *p);
/* NULL while not open. */
QmiDevice *sb_qmi_port_device(const struct sb_qmi_port *p);

/* A QMI error in a log line: "QMI protocol error (...)" or the core error's text. */
const char *sb_qmi_error_text(const GError *err);
/* The request got no answer in time, or the device went while waiting (the modem is the problem, not the request). */
bool sb_qmi_error_is_transport(const GError *err);

#endif
