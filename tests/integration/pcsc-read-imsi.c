/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A PC/SC client as an ME would do it: waits for a card in a reader, reads
 * EF_DIR to find the USIM's AID, selects ADF.USIM by that AID, selects
 * EF_IMSI, optionally verifies PIN1, reads EF_IMSI and prints the IMSI.
 * T=0 rules (TS 102 221 §7.3.1.1.4): 61XX -> GET RESPONSE, 6CXX -> repeat
 * with Le = XX.
 *
 *   pcsc-read-imsi [--pin DIGITS] [--timeout SECONDS] [--reader SUBSTRING]
 *
 * Prints "reader: NAME", "atr: HEX", "aid: HEX", "imsi: DIGITS".  Exit 0 on
 * success, 1 on a card answer it did not expect, 2 on a PC/SC failure.
 */
#include <PCSC/winscard.h>
#include <PCSC/wintypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "simota/hex.h"
#include "simota/tlv.h"
#include "simota/ts102221.h"
#include "simota/ts31102.h"

static SCARDHANDLE card;
static DWORD protocol;

static void hex(const char *label, const uint8_t *p, size_t n)
{
	char text[2 * 258 + 1];

	simota_hex_encode(p, n < 258 ? n : 258, text);
	printf("%s: %s\n", label, text);
}

static void pcsc_check(LONG rv, const char *what)
{
	if (rv != SCARD_S_SUCCESS) {
		fprintf(stderr, "pcsc-read-imsi: %s: %s (0x%08lx)\n", what, pcsc_stringify_error(rv),
			(unsigned long)rv);
		exit(2);
	}
}

/* Sends an APDU, follows 61XX and 6CXX; returns the final SW, data in out. */
static unsigned transmit(const uint8_t *apdu, size_t len, uint8_t *out, size_t *out_len)
{
	uint8_t cmd[261], resp[258];
	size_t clen = len;

	memcpy(cmd, apdu, len);
	for (int round = 0; round < 4; round++) {
		const SCARD_IO_REQUEST *pci = protocol == SCARD_PROTOCOL_T1 ? SCARD_PCI_T1 : SCARD_PCI_T0;
		DWORD rlen = sizeof(resp);
		unsigned sw;

		pcsc_check(SCardTransmit(card, pci, cmd, (DWORD)clen, NULL, resp, &rlen), "SCardTransmit");
		if (rlen < 2) {
			fprintf(stderr, "pcsc-read-imsi: response of %lu bytes\n", (unsigned long)rlen);
			exit(1);
		}
		sw = (unsigned)resp[rlen - 2] << 8 | resp[rlen - 1];
		if ((sw >> 8) == 0x61) {
			/* GET RESPONSE, same class */
			cmd[1] = 0xc0;
			cmd[2] = cmd[3] = 0;
			cmd[4] = (uint8_t)sw;
			clen = 5;
			continue;
		}
		if ((sw >> 8) == 0x6c) {
			cmd[clen - 1] = (uint8_t)sw;   /* case 2: the last byte is Le */
			continue;
		}
		*out_len = rlen - 2;
		memcpy(out, resp, rlen - 2);
		return sw;
	}
	fprintf(stderr, "pcsc-read-imsi: too many 61XX/6CXX rounds\n");
	exit(1);
}

static void expect_sw(unsigned sw, const char *what)
{
	if (sw != 0x9000) {
		fprintf(stderr, "pcsc-read-imsi: %s: SW %04x\n", what, sw);
		exit(1);
	}
}

static char *wait_reader(SCARDCONTEXT ctx, const char *want, int timeout_s)
{
	time_t end = time(NULL) + timeout_s;

	for (;;) {
		DWORD len = 0;
		LONG rv = SCardListReaders(ctx, NULL, NULL, &len);
		char *names;

		if (rv == SCARD_S_SUCCESS && len > 1) {
			names = malloc(len);
			pcsc_check(SCardListReaders(ctx, NULL, names, &len), "SCardListReaders");
			for (char *r = names; *r; r += strlen(r) + 1) {
				SCARD_READERSTATE st = { .szReader = r, .dwCurrentState = SCARD_STATE_UNAWARE };

				if (want && !strstr(r, want))
					continue;
				pcsc_check(SCardGetStatusChange(ctx, 0, &st, 1), "SCardGetStatusChange");
				if (st.dwEventState & SCARD_STATE_PRESENT) {
					char *name = strdup(r);

					free(names);
					return name;
				}
			}
			free(names);
		} else if (rv != SCARD_E_NO_READERS_AVAILABLE && rv != SCARD_S_SUCCESS) {
			pcsc_check(rv, "SCardListReaders");
		}
		if (time(NULL) >= end) {
			fprintf(stderr, "pcsc-read-imsi: no reader with a card after %d s\n", timeout_s);
			exit(2);
		}
		nanosleep(&(struct timespec){ 0, 200 * 1000 * 1000 }, NULL);
	}
}

int main(int argc, char **argv)
{
	const char *pin = NULL, *want = NULL;
	int timeout_s = 20;
	SCARDCONTEXT ctx;
	uint8_t buf[258], atr[40], apdu[64];
	size_t n, len;
	struct simota_tlv app, aid;
	struct simota_fcp fcp;
	size_t ef_size = SIMOTA_EF_IMSI_LEN;
	DWORD atr_len = sizeof(atr), state, rlen = 0;
	unsigned sw;
	char *reader, imsi[SIMOTA_IMSI_MAX_DIGITS + 1];

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--pin") && i + 1 < argc)
			pin = argv[++i];
		else if (!strcmp(argv[i], "--timeout") && i + 1 < argc)
			timeout_s = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--reader") && i + 1 < argc)
			want = argv[++i];
		else {
			fprintf(stderr, "usage: pcsc-read-imsi [--pin DIGITS] [--timeout S] [--reader SUBSTRING]\n");
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);

	pcsc_check(SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx), "SCardEstablishContext");
	reader = wait_reader(ctx, want, timeout_s);
	printf("reader: %s\n", reader);
	pcsc_check(SCardConnect(ctx, reader, SCARD_SHARE_EXCLUSIVE, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
				&card, &protocol), "SCardConnect");
	pcsc_check(SCardStatus(card, NULL, &rlen, &state, &protocol, atr, &atr_len), "SCardStatus");
	hex("atr", atr, atr_len);

	/* MF, EF_DIR (TS 102 221 §13.1), record 1 */
	memcpy(apdu, "\x00\xa4\x00\x04\x02\x3f\x00", 7);
	expect_sw(transmit(apdu, 7, buf, &n), "SELECT MF");
	memcpy(apdu, "\x00\xa4\x00\x04\x02\x2f\x00", 7);
	expect_sw(transmit(apdu, 7, buf, &n), "SELECT EF_DIR");
	memcpy(apdu, "\x00\xb2\x01\x04\x00", 5);
	expect_sw(transmit(apdu, 5, buf, &n), "READ RECORD EF_DIR 1");
	/* TS 102 221 §13.1: application template 61 { AID 4F, ... } */
	if (simota_ber_tlv_find(buf, n, 0x61, &app) != SIMOTA_OK ||
	    simota_ber_tlv_find(app.value, app.len, 0x4f, &aid) != SIMOTA_OK || aid.len < 5 || aid.len > 16) {
		fprintf(stderr, "pcsc-read-imsi: no AID in EF_DIR record 1\n");
		return 1;
	}
	hex("aid", aid.value, aid.len);

	/* ADF.USIM by DF name (TS 102 221 §11.1.1.2, P1 04), FCP returned */
	memcpy(apdu, "\x00\xa4\x04\x04", 4);
	apdu[4] = (uint8_t)aid.len;
	memcpy(apdu + 5, aid.value, aid.len);
	len = 5 + aid.len;
	expect_sw(transmit(apdu, len, buf, &n), "SELECT ADF.USIM");

	/* EF_IMSI 6F07 (TS 31.102 §4.2.2); its size from the FCP's tag 80 */
	memcpy(apdu, "\x00\xa4\x00\x04\x02\x6f\x07", 7);
	expect_sw(transmit(apdu, 7, buf, &n), "SELECT EF_IMSI");
	if (simota_fcp_decode(buf, n, &fcp) == SIMOTA_OK && fcp.file_size <= 255)
		ef_size = fcp.file_size;

	if (pin) {
		size_t pl = strlen(pin);

		memcpy(apdu, "\x00\x20\x00\x01\x08", 5);
		memset(apdu + 5, 0xff, 8);
		memcpy(apdu + 5, pin, pl > 8 ? 8 : pl);
		expect_sw(transmit(apdu, 13, buf, &n), "VERIFY PIN1");
	}

	memcpy(apdu, "\x00\xb0\x00\x00", 4);
	apdu[4] = (uint8_t)ef_size;
	sw = transmit(apdu, 5, buf, &n);
	expect_sw(sw, "READ BINARY EF_IMSI");
	hex("ef_imsi", buf, n);
	/* TS 31.102 §4.2.2 */
	if (simota_ef_imsi_decode(buf, n, imsi) != SIMOTA_OK) {
		fprintf(stderr, "pcsc-read-imsi: EF_IMSI malformed\n");
		return 1;
	}
	printf("imsi: %s\n", imsi);

	SCardDisconnect(card, SCARD_RESET_CARD);
	free(reader);
	SCardReleaseContext(ctx);
	return 0;
}
