// SPDX-License-Identifier: GPL-2.0-or-later
//
// The test SMSC of ota-test-server's SMPP link (a test fixture, not a product).
//
// Northbound it is an SMSC on the npm package `smpp` (node-smpp): it takes
// bind_transceiver / bind_transmitter / bind_receiver (system_id and password
// checked: ESME_RINVSYSID, ESME_RINVPASWD), submit_sm, enquire_link and
// unbind, and sends deliver_sm.  Southbound it plays the netsim server
// (doc/netsim.md) for the stkbridge plugin's netsim backend: the radio.
//
//   submit_sm            -> SMS-DELIVER (TS 23.040 §9.2.2.1) in a DELIVER frame to
//                           the device serving the destination MSISDN: its HELLO
//                           named the MSISDN, or the ICCID the subscriber table
//                           (--subscriber MSISDN=ICCID, the SMSC's HLR) gives for it
//                           (kept until one does: store and forward)
//   DELIVER-REPORT       -> with --forward-rp-ack, the RP-ACK's user data (a PoR)
//                           as a deliver_sm, as pySim-smpp2sim forwards it; without,
//                           it is dropped (as osmo-msc's SMSC does);
//                           and a delivery receipt when registered_delivery asks
//   SUBMIT (SMS-SUBMIT)  -> deliver_sm to a bound ESME (kept until one binds)
//
// It can be told, on its control socket (one JSON object a line, answered by
// one), to throttle (ESME_RTHROTTLED), refuse (any status), hold submit_sm
// unanswered, send a malformed PDU, unbind, or die; and it logs every PDU
// and frame as JSON lines for the tests.
//
// usage: node smsc.js --smpp-port N --netsim PATH --control PATH --log FILE
//                     [--system-id ID --password PW] [--forward-rp-ack] [--sink]
//                     [--subscriber MSISDN=ICCID]...
// It prints one line {"ready": true, "smpp-port": N} when listening.
'use strict';

const fs = require('fs');
const net = require('net');
const smpp = require('smpp');

// node-smpp decodes short_message into text by data_coding; an SMSC relays octets
smpp.filters.message.decode = (v) => v;

// ---- options --------------------------------------------------------------------

function parseArgs(argv) {
	const o = { smppPort: 0, systemId: 'ots', password: 'secret', forwardRpAck: false, sink: false,
		subscribers: new Map() };
	for (let i = 2; i < argv.length; i++) {
		const a = argv[i];
		const next = () => argv[++i];
		if (a === '--smpp-port') o.smppPort = parseInt(next(), 10);
		else if (a === '--netsim') o.netsim = next();
		else if (a === '--control') o.control = next();
		else if (a === '--log') o.log = next();
		else if (a === '--system-id') o.systemId = next();
		else if (a === '--password') o.password = next();
		else if (a === '--forward-rp-ack') o.forwardRpAck = true;
		else if (a === '--sink') o.sink = true;
		else if (a === '--subscriber') {
			const [msisdn, iccid] = next().split('=');
			o.subscribers.set(msisdn.replace(/^\+/, ''), { msisdn, iccid });
		}
		else throw new Error('unknown option ' + a);
	}
	return o;
}

const opt = parseArgs(process.argv);
// written at once: a test reads it while the SMSC runs, and it may be killed any time
function log(ev) {
	ev.t = Date.now() / 1000;
	if (opt.log)
		fs.appendFileSync(opt.log, JSON.stringify(ev) + '\n');
}

// ---- TS 23.040 bits ----------------------------------------------------------------

// §9.1.2.5: an address field (length in semi-octets, TOA, BCD digits swapped)
function encodeAddress(digits, ton, npi) {
	const d = digits.replace(/^\+/, '');
	const out = [d.length, 0x80 | (ton & 7) << 4 | (npi & 15)];
	for (let i = 0; i < d.length; i += 2) {
		const lo = parseInt(d[i], 16);
		const hi = i + 1 < d.length ? parseInt(d[i + 1], 16) : 0xF;
		out.push(hi << 4 | lo);
	}
	return Buffer.from(out);
}

function decodeAddress(b, i) {
	const n = b[i], toa = b[i + 1], bytes = (n + 1) >> 1;
	let digits = '';
	for (let k = 0; k < bytes; k++) {
		digits += (b[i + 2 + k] & 0xF).toString(16);
		digits += (b[i + 2 + k] >> 4).toString(16);
	}
	digits = digits.slice(0, n);
	return { digits, ton: (toa >> 4) & 7, npi: toa & 15, next: i + 2 + bytes };
}

// §9.2.3.11: the service centre time stamp, now, UTC
function scts() {
	const d = new Date();
	const f = [d.getUTCFullYear() % 100, d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(),
		d.getUTCMinutes(), d.getUTCSeconds(), 0];
	return Buffer.from(f.map((v) => (v % 10) << 4 | Math.floor(v / 10)));
}

// SMPP data_coding -> TS 23.038 DCS of the SMS-DELIVER: 02 and 04 are octets (8 bit);
// with PID 7F the card needs class 2, so they become F6 (DESIGN §8.4)
function dcsOf(dataCoding, pid) {
	if (dataCoding === 0x02 || dataCoding === 0x04)
		return pid === 0x7F ? 0xF6 : 0x04;
	return dataCoding;
}

// §9.2.2.1 SMS-DELIVER from a submit_sm
function smsDeliver(pdu) {
	const ud = pdu.short_message && pdu.short_message.length ? pdu.short_message :
		(pdu.message_payload || Buffer.alloc(0));
	const first = 0x04 /* TP-MMS: no more */ | (pdu.esm_class & 0x40);
	const oa = encodeAddress(pdu.source_addr, pdu.source_addr_ton, pdu.source_addr_npi);
	return Buffer.concat([Buffer.from([first]), oa,
		Buffer.from([pdu.protocol_id, dcsOf(pdu.data_coding, pdu.protocol_id)]), scts(),
		Buffer.from([ud.length]), ud]);
}

// §9.2.2.2 SMS-SUBMIT: the fields a deliver_sm needs (8 bit user data as octets)
function parseSubmit(t) {
	const vpf = (t[0] >> 3) & 3;
	const da = decodeAddress(t, 2);
	let i = da.next;
	const pid = t[i], dcs = t[i + 1];
	i += 2 + (vpf === 2 ? 1 : vpf === 0 ? 0 : 7);
	const udl = t[i];
	const septets = (dcs & 0xC0) === 0 && (dcs & 0x0C) === 0;
	const n = septets ? Math.ceil(udl * 7 / 8) : udl;
	return { udhi: (t[0] & 0x40) !== 0, da, pid, dcs, ud: t.slice(i + 1, i + 1 + n) };
}

// §9.2.2.1a SMS-DELIVER-REPORT: its TP-UD, if any (the PoR in an RP-ACK)
function reportUd(t, rpError) {
	if (!t.length)
		return null;
	let i = rpError ? 2 : 1;
	const pi = t[i++];
	const pid = pi & 1 ? t[i++] : null;
	if (pi & 2) i++;
	if (!(pi & 4))
		return null;
	return { pid, ud: t.slice(i + 1, i + 1 + t[i]) };
}

// ---- netsim (doc/netsim.md) --------------------------------------------------------------

const NS = { HELLO: 0x01, HELLO_ACK: 0x81, DELIVER: 0x02, DELIVER_REPORT: 0x03, SUBMIT: 0x04,
	SUBMIT_REPORT: 0x84, PING: 0x05, PONG: 0x85, ERROR: 0x7F };

function frame(type, body) {
	const h = Buffer.alloc(5);
	h.writeUInt32BE(body.length + 1, 0);
	h[4] = type;
	return Buffer.concat([h, body]);
}

function u32(n) {
	const b = Buffer.alloc(4);
	b.writeUInt32BE(n >>> 0, 0);
	return b;
}

const devices = [];             // newest first: { sock, iccid, msisdn }
const deliveries = new Map();   // netsim DELIVER id -> { submit pdu, session, messageId }
const waitingForDevice = [];    // { msisdn, id, tpdu }
// message ids and DELIVER ids: one counter, starting where an earlier run of this
// SMSC cannot have been (seconds since the epoch), so a restart reuses no message id
let nextId = (Math.floor(Date.now() / 1000) % 100000) * 10000 + 1;

function sameNumber(a, b) {
	return a && b && a.replace(/^\+/, '') === b.replace(/^\+/, '');
}

// The subscriber's MSISDN ('+' when international) and ICCID, from the table or the HELLO.
function subscriberOf(msisdn) {
	return opt.subscribers.get(msisdn.replace(/^\+/, ''));
}

function msisdnOf(dev) {
	if (dev.msisdn)
		return dev.msisdn;
	for (const s of opt.subscribers.values())
		if (s.iccid === dev.iccid)
			return s.msisdn;
	return '';
}

function deviceFor(msisdn) {
	const sub = subscriberOf(msisdn);
	return devices.find((d) => sameNumber(d.msisdn, msisdn) || (sub && d.iccid && d.iccid === sub.iccid));
}

function sendDeliver(dev, id, tpdu) {
	log({ netsim: 'deliver', id, iccid: dev.iccid, tpdu: tpdu.toString('hex') });
	dev.sock.write(frame(NS.DELIVER, Buffer.concat([u32(id), tpdu])));
}

function onNetsimFrame(dev, type, body) {
	switch (type) {
	case NS.HELLO: {
		let i = 1;
		const il = body[i++];
		dev.iccid = body.slice(i, i + il).toString();
		i += il;
		const ml = body[i++];
		dev.msisdn = body.slice(i, i + ml).toString();
		dev.sock.write(frame(NS.HELLO_ACK, Buffer.from([1, 0])));
		log({ netsim: 'hello', iccid: dev.iccid, msisdn: dev.msisdn });
		for (let k = 0; k < waitingForDevice.length;) {
			const w = waitingForDevice[k];
			if (deviceFor(w.msisdn) === dev) {
				waitingForDevice.splice(k, 1);
				sendDeliver(dev, w.id, w.tpdu);
			} else {
				k++;
			}
		}
		break;
	}
	case NS.DELIVER_REPORT: {
		const id = body.readUInt32BE(0), rpError = body[4] === 1, cause = body[5];
		const tpdu = body.slice(6);
		log({ netsim: 'deliver-report', id, rp: body[4], cause, tpdu: tpdu.toString('hex') });
		onDeliverReport(dev, id, rpError, cause, tpdu);
		break;
	}
	case NS.SUBMIT: {
		const id = body.readUInt32BE(0), tpdu = body.slice(4);
		log({ netsim: 'submit', id, iccid: dev.iccid, tpdu: tpdu.toString('hex') });
		dev.sock.write(frame(NS.SUBMIT_REPORT, Buffer.concat([u32(id), Buffer.from([0, 0])])));
		onMoSubmit(dev, tpdu);
		break;
	}
	case NS.PING:
		dev.sock.write(frame(NS.PONG, body.slice(0, 4)));
		break;
	case NS.ERROR:
		log({ netsim: 'error', code: body[0], text: body.slice(5).toString() });
		break;
	default:
		dev.sock.write(frame(NS.ERROR, Buffer.concat([Buffer.from([2]), u32(0)])));
	}
}

function netsimServer(path) {
	try { fs.unlinkSync(path); } catch (e) { /* none */ }
	const srv = net.createServer((sock) => {
		const dev = { sock, iccid: '', msisdn: '' };
		devices.unshift(dev);
		let buf = Buffer.alloc(0);
		sock.on('data', (chunk) => {
			buf = Buffer.concat([buf, chunk]);
			while (buf.length >= 4) {
				const len = buf.readUInt32BE(0);
				if (len < 1 || len > 4096) {
					sock.destroy();
					return;
				}
				if (buf.length < 4 + len)
					break;
				onNetsimFrame(dev, buf[4], buf.slice(5, 4 + len));
				buf = buf.slice(4 + len);
			}
		});
		const gone = () => {
			const k = devices.indexOf(dev);
			if (k >= 0) devices.splice(k, 1);
		};
		sock.on('close', gone);
		sock.on('error', gone);
	});
	srv.listen(path);
	return srv;
}

// ---- SMPP (node-smpp) -------------------------------------------------------------------------

const sessions = new Set();     // bound ESME sessions: { session, receives, transmits }
const toEsme = [];              // deliver_sm parameters waiting for a receiver
const control = { throttle: 0, refuse: null, refuseCount: 0, hold: false, held: [],
	dieOnSubmit: false };
const stats = { binds: [], bindRefusals: [], submits: 0, delivers: 0, throttled: 0,
	refused: 0, receipts: 0 };

function receivers() {
	return [...sessions].filter((s) => s.receives);
}

// A deliver_sm goes to the first bound receiver; one not answered when its
// connection closes goes again to the next receiver that binds.
function deliverToEsme(params) {
	const r = receivers()[0];
	if (!r) {
		toEsme.push(params);
		return;
	}
	stats.delivers++;
	log({ smpp: 'deliver_sm', esm_class: params.esm_class, source_addr: params.source_addr,
		destination_addr: params.destination_addr, protocol_id: params.protocol_id,
		data_coding: params.data_coding, short_message: Buffer.from(params.short_message).toString('hex') });
	r.unacked.add(params);
	r.session.deliver_sm(Object.assign({}, params), (resp) => {
		r.unacked.delete(params);
		log({ smpp: 'deliver_sm_resp', status: resp.command_status });
	});
}

function addrOf(number) {
	return number.startsWith('+') ? { ton: 1, npi: 1, digits: number.slice(1) } :
		{ ton: 0, npi: 1, digits: number };
}

// SMPP 3.4 Appendix B, and the receipted_message_id / message_state TLVs
function receipt(d, delivered, err) {
	if (!(d.pdu.registered_delivery & 1))
		return;
	const dev = addrOf(d.msisdn);
	const now = new Date().toISOString().replace(/[-T:]/g, '').slice(2, 12);
	const stat = delivered ? 'DELIVRD' : 'UNDELIV';
	const text = `id:${d.messageId} sub:001 dlvrd:${delivered ? '001' : '000'} submit date:${d.at} ` +
		`done date:${now} stat:${stat} err:${String(err).padStart(3, '0')} text:`;
	stats.receipts++;
	deliverToEsme({ source_addr_ton: dev.ton, source_addr_npi: dev.npi, source_addr: dev.digits,
		dest_addr_ton: d.pdu.source_addr_ton, dest_addr_npi: d.pdu.source_addr_npi,
		destination_addr: d.pdu.source_addr, esm_class: 0x04, data_coding: 0,
		short_message: Buffer.from(text), receipted_message_id: d.messageId,
		message_state: delivered ? 2 : 5 });
}

function onDeliverReport(dev, id, rpError, cause, tpdu) {
	const d = deliveries.get(id);
	if (!d)
		return;
	deliveries.delete(id);
	const data = reportUd(tpdu, rpError);
	if (data && data.ud.length && opt.forwardRpAck) {
		// as pySim-smpp2sim: the card's response data back to the submitter, its fields mirrored
		const from = addrOf(msisdnOf(dev) || d.msisdn);
		deliverToEsme({ source_addr_ton: from.ton, source_addr_npi: from.npi, source_addr: from.digits,
			dest_addr_ton: d.pdu.source_addr_ton, dest_addr_npi: d.pdu.source_addr_npi,
			destination_addr: d.pdu.source_addr, esm_class: 0x40,
			protocol_id: data.pid !== null ? data.pid : d.pdu.protocol_id,
			data_coding: d.pdu.data_coding, short_message: data.ud });
	} else if (data && data.ud.length) {
		log({ smsc: 'rp-ack data dropped', id });
	}
	receipt(d, !rpError, rpError ? cause : 0);
}

function onMoSubmit(dev, tpdu) {
	let s;
	try {
		s = parseSubmit(tpdu);
	} catch (e) {
		return;
	}
	const from = addrOf(msisdnOf(dev));
	deliverToEsme({ source_addr_ton: from.ton, source_addr_npi: from.npi, source_addr: from.digits,
		dest_addr_ton: s.da.ton, dest_addr_npi: s.da.npi, destination_addr: s.da.digits,
		esm_class: s.udhi ? 0x40 : 0, protocol_id: s.pid, data_coding: s.dcs, short_message: s.ud });
}

function die(why) {
	log({ smsc: 'die', why });
	process.kill(process.pid, 'SIGKILL');
}

function onSubmit(entry, pdu) {
	const session = entry.session;
	stats.submits++;
	if (opt.sink) {
		session.send(pdu.response({ message_id: String(nextId++) }));
		return;
	}
	log({ smpp: 'submit_sm', seq: pdu.sequence_number, source_addr: pdu.source_addr,
		source_addr_ton: pdu.source_addr_ton, destination_addr: pdu.destination_addr,
		dest_addr_ton: pdu.dest_addr_ton, esm_class: pdu.esm_class, protocol_id: pdu.protocol_id,
		data_coding: pdu.data_coding, registered_delivery: pdu.registered_delivery,
		short_message: Buffer.from(pdu.short_message || []).toString('hex') });
	if (control.dieOnSubmit)
		die('told to die on a submit_sm');
	if (control.hold) {
		control.held.push({ entry, pdu });
		return;
	}
	if (control.throttle > 0) {
		control.throttle--;
		stats.throttled++;
		session.send(pdu.response({ command_status: smpp.ESME_RTHROTTLED }));
		return;
	}
	if (control.refuseCount > 0) {
		control.refuseCount--;
		stats.refused++;
		session.send(pdu.response({ command_status: control.refuse }));
		return;
	}
	const id = nextId++;
	const messageId = String(id);
	const tpdu = smsDeliver(pdu);
	const at = new Date().toISOString().replace(/[-T:]/g, '').slice(2, 12);
	deliveries.set(id, { pdu, msisdn: (pdu.dest_addr_ton === 1 ? '+' : '') + pdu.destination_addr,
		messageId, at });
	session.send(pdu.response({ message_id: messageId }));
	const dev = deviceFor(pdu.destination_addr);
	if (dev)
		sendDeliver(dev, id, tpdu);
	else
		waitingForDevice.push({ msisdn: pdu.destination_addr, id, tpdu });
}

function onBind(session, pdu, receives, transmits) {
	const ok = pdu.system_id === opt.systemId && pdu.password === opt.password;
	const status = pdu.system_id !== opt.systemId ? smpp.ESME_RINVSYSID :
		pdu.password !== opt.password ? smpp.ESME_RINVPASWD : smpp.ESME_ROK;
	log({ smpp: pdu.command, system_id: pdu.system_id, status });
	if (!ok) {
		stats.bindRefusals.push(Date.now() / 1000);
		session.send(pdu.response({ command_status: status }));
		return;
	}
	stats.binds.push(Date.now() / 1000);
	const entry = { session, receives, transmits, unacked: new Set() };
	sessions.add(entry);
	session.send(pdu.response({ system_id: 'test-smsc' }));
	session.on('submit_sm', (p) => {
		if (transmits)
			onSubmit(entry, p);
		else
			session.send(p.response({ command_status: smpp.ESME_RINVBNDSTS }));
	});
	session.on('close', () => {
		sessions.delete(entry);
		toEsme.unshift(...entry.unacked);
		entry.unacked.clear();
		if (receivers().length)
			while (toEsme.length)
				deliverToEsme(toEsme.shift());
	});
	if (receives)
		while (toEsme.length)
			deliverToEsme(toEsme.shift());
}

const server = smpp.createServer((session) => {
	// the ESME's answers to what was written raw (the malformed PDUs) have no callback: log them all
	session.on('pdu', (pdu) => {
		if (pdu.command === 'generic_nack' || (pdu.command === 'deliver_sm_resp' && pdu.command_status))
			log({ smpp: pdu.command, seq: pdu.sequence_number, status: pdu.command_status });
	});
	session.on('bind_transceiver', (pdu) => onBind(session, pdu, true, true));
	session.on('bind_transmitter', (pdu) => onBind(session, pdu, false, true));
	session.on('bind_receiver', (pdu) => onBind(session, pdu, true, false));
	session.on('enquire_link', (pdu) => session.send(pdu.response()));
	session.on('unbind', (pdu) => {
		log({ smpp: 'unbind' });
		session.send(pdu.response());
		session.close();
	});
	session.on('unbind_resp', () => session.close());
	session.on('error', () => {});
});

// ---- control -----------------------------------------------------------------------------------

// SMPP 3.4 §3.2 header alone, command_length as given
function rawHeader(length, id, status, seq) {
	const b = Buffer.alloc(16);
	b.writeUInt32BE(length, 0);
	b.writeUInt32BE(id, 4);
	b.writeUInt32BE(status, 8);
	b.writeUInt32BE(seq, 12);
	return b;
}

function command(c) {
	switch (c.cmd) {
	case 'stats':
		return Object.assign({ bound: sessions.size, devices: devices.length,
			waiting: waitingForDevice.length, toEsme: toEsme.length }, stats);
	case 'throttle':
		control.throttle = c.count;
		return { ok: true };
	case 'refuse':
		control.refuse = c.status;
		control.refuseCount = c.count;
		return { ok: true };
	case 'hold':
		control.hold = !!c.on;
		if (!control.hold)
			for (const h of control.held.splice(0))
				onSubmit(h.entry, h.pdu);
		return { ok: true, held: control.held.length };
	case 'held':
		return { held: control.held.length };
	case 'die-on-submit':
		control.dieOnSubmit = true;
		return { ok: true };
	case 'die':
		setImmediate(() => die('told to'));
		return { ok: true };
	case 'unbind':
		for (const s of sessions)
			s.session.unbind();
		return { ok: true };
	case 'malformed': {
		const s = [...sessions][0];
		if (!s)
			return { ok: false, why: 'no ESME bound' };
		// "length": command_length 8, below the header: the stream cannot be followed;
		// "body": a deliver_sm from c.source (international) whose destination TON (7)
		// libsmpp34 does not know
		const src = Buffer.from((c.source || '15550108') + '\0');
		const body = Buffer.concat([Buffer.from('000101', 'hex'), src,
			Buffer.from('0701313535353031393900407f0000000000f60003027100', 'hex')]);
		const pdu = c.kind === 'length' ? rawHeader(8, 0x00000005, 0, 4242) :
			Buffer.concat([rawHeader(16 + body.length, 0x00000005, 0, 4243), body]);
		log({ smsc: 'malformed', kind: c.kind, pdu: pdu.toString('hex') });
		s.session.socket.write(pdu);
		return { ok: true };
	}
	default:
		return { ok: false, why: 'unknown command' };
	}
}

function controlServer(path) {
	try { fs.unlinkSync(path); } catch (e) { /* none */ }
	return net.createServer((sock) => {
		let buf = '';
		sock.on('data', (chunk) => {
			buf += chunk.toString();
			let nl;
			while ((nl = buf.indexOf('\n')) >= 0) {
				const line = buf.slice(0, nl);
				buf = buf.slice(nl + 1);
				let answer;
				try {
					answer = command(JSON.parse(line));
				} catch (e) {
					answer = { ok: false, why: String(e) };
				}
				sock.write(JSON.stringify(answer) + '\n');
			}
		});
		sock.on('error', () => {});
	}).listen(path);
}

if (opt.netsim)
	netsimServer(opt.netsim);
if (opt.control)
	controlServer(opt.control);
server.listen(opt.smppPort, '127.0.0.1', () => {
	const port = server.address().port;
	log({ smsc: 'ready', port });
	process.stdout.write(JSON.stringify({ ready: true, 'smpp-port': port }) + '\n');
});
