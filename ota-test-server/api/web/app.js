// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The live timeline page of ota-test-server (doc/api.md, "The timeline
 * page"), served from the binary at /.  It is a client of the public API and
 * nothing else: GET /v1/cards, /v1/transactions, /v1/transactions/ID (its
 * timeline), /v1/campaigns (404 before the server has campaigns) and the
 * event stream GET /v1/events.  An RFM operation (action "rfm") is a
 * transaction too: its script goes SV2 -> UICC, its PoR brings the R-APDUs
 * back (one row, joined with its "rfm-result"), and the campaign it belongs
 * to marks its card's state on the timeline.  Plain JS, no framework, no build step; the
 * Content-Security-Policy the server sends allows no inline script or style,
 * so nothing here writes HTML from strings: API data only ever goes into
 * textContent and SVG attributes.
 *
 * The sequence diagram has four lanes, SV1 | SV2 | ME | UICC.  Each row is
 * drawn from one or two timeline entries (rowsOf): a PoR and the IR or R2S it
 * carried are one arrow; C2 comes with the EV rule that sent it.  The ME
 * sees things the server cannot: the proactive command and the user's
 * TERMINAL RESPONSE are drawn dashed ("inferred") from the events that prove
 * them (the IR starts the card's proactive session; an MG or an R2S "done"
 * means the user answered).
 */
'use strict';

(() => {
	const SVG_NS = 'http://www.w3.org/2000/svg';
	const LANES = [
		{ id: 'sv1', full: 'SV1 · application server', short: 'SV1' },
		{ id: 'sv2', full: 'SV2 · OTA server', short: 'SV2' },
		{ id: 'me', full: 'ME · handset', short: 'ME' },
		{ id: 'uicc', full: 'UICC · card', short: 'UICC' },
	];
	const LANE = { sv1: 0, sv2: 1, me: 2, uicc: 3 };
	/* Every kind ota-test-server/sv1/ emits.  EventSource only dispatches a
	 * named event ("event: c1-sent") to a listener for that name; a kind not
	 * listed here still shows after the next GET of the transaction. */
	const EVENT_KINDS = [
		'queued', 'c1-sent', 'c2-sent', 'release-sent', 'por-received', 'ir-received',
		'mg-received', 'r2s-received', 'r1-delivered', 'released', 'failed', 'expired',
		'por-timeout', 'release-unconfirmed', 'por-invalid', 'por-error', 'delivery-error',
		'poll', 'submit-retry', 'submit-refused', 'delivery-receipt', 'link-refused',
		'script-sent', 'rfm-result', 'campaign-started', 'campaign-card', 'campaign-completed',
		'campaign-cancelled',
	];
	/* how a PoR came (por-received's "via") */
	const VIA = { 'sms-submit': 'SMS-SUBMIT', 'deliver-report': 'DELIVER-REPORT', 'deliver-sm': 'deliver_sm (SMPP)' };
	const COMMAND = { c1: 'C1', c2: 'C2', release: 'release', script: 'RFM script' };
	const PROACTIVE = {
		'display-text': 'DISPLAY TEXT', 'get-input': 'GET INPUT',
		'select-item': 'SELECT ITEM', 'yes-no': 'GET INKEY (yes/no)',
	};
	/* TS 102 223 §8.12 general results a user's answer can have */
	const USER_RESULT = { 0x10: 'ended the session', 0x11: 'went back', 0x12: 'no answer' };
	/* triggers of a command sent again, not by an EV rule */
	const RETRY_TRIGGERS = new Set(['retry', 'device-attached', 'smpp-rebound']);
	const EV_NAMES = {
		mg: 'EV: MG', rq: 'EV: RQ elapsed', preset: 'EV: preset time', backoff: 'EV: backoff',
		'next-session': 'EV: next session', poll: 'EV: poll',
	};
	const FINAL = new Set(['completed', 'expired', 'failed']);
	/* the lists are the API's first pages: the newest transactions, the first cards by ICCID */
	const TX_PAGE = 200, CARD_PAGE = 1000;
	const FONT = 'system-ui, "DejaVu Sans", sans-serif';

	const $ = (id) => document.getElementById(id);

	const state = {
		txs: [],            // GET /v1/transactions, newest first (no timelines)
		txMore: false,      // older ones than those (a Link to the next page)
		cards: [],
		cardsMore: false,   // more cards than those
		campaigns: null,    // null: the server has no /v1/campaigns
		cardFilter: null,   // ICCID or null
		selected: null,     // id of the chosen transaction
		tx: null,           // that transaction (GET /v1/transactions/ID)
		events: new Map(),  // seq -> timeline entry of the chosen transaction
		drawn: new Set(),   // row keys already on screen (new ones are animated)
		generation: 0,      // bumps on every choice: late answers for an older one are dropped
		loaded: false,      // the chosen transaction's GET has answered once
	};

	/* ---- API ------------------------------------------------------------- */

	async function getJSON(path) {
		const r = await fetch(path, { headers: { Accept: 'application/json' }, cache: 'no-store' });
		/* a Link rel="next" (RFC 8288): the list goes on past this page */
		return { status: r.status, body: r.ok ? await r.json() : null,
			 more: /rel="?next"?/.test(r.headers.get('Link') || '') };
	}

	/* fn at most once per `ms`, the last call wins */
	function debounce(fn, ms) {
		let timer = 0;
		return () => {
			if (!timer)
				timer = setTimeout(() => { timer = 0; fn(); }, ms);
		};
	}

	/* ---- times ------------------------------------------------------------ */

	/* RFC 3339 UTC with microseconds -> ms since the epoch, keeping the µs */
	function atMs(s) {
		const m = /^(.*T\d\d:\d\d:\d\d)(\.\d+)?Z$/.exec(s || '');
		if (!m)
			return NaN;
		return Date.parse(m[1] + 'Z') + (m[2] ? parseFloat(m[2]) * 1000 : 0);
	}

	function relText(ms) {
		if (!isFinite(ms))
			return '';
		if (ms < 1000)
			return '+' + ms.toFixed(1) + ' ms';
		if (ms < 60000)
			return '+' + (ms / 1000).toFixed(3) + ' s';
		return '+' + Math.floor(ms / 60000) + ' min ' + ((ms % 60000) / 1000).toFixed(1) + ' s';
	}

	function clockText(s) {
		return s ? s.slice(11, 23) + 'Z' : '';
	}

	/* ---- what the rows say ------------------------------------------------ */

	function rqText(rq) {
		if (!rq)
			return '';
		switch (rq.form) {
		case 'fixed':
			return 'RQ fixed ' + rq.seconds + ' s';
		case 'indefinite':
			return 'RQ indefinite';
		case 'until-event':
			return 'RQ until ' + (rq.event || '?') + (rq.seconds ? ' (≤ ' + rq.seconds + ' s)' : '');
		default:
			return 'RQ ' + rq.form;
		}
	}

	/* R1 as a person reads it; a hidden GET INPUT answer stays hidden */
	function answerText(result, tx) {
		if (!result)
			return '';
		if (result.general !== 0)
			return USER_RESULT[result.general] ||
				'result ' + result.general.toString(16).padStart(2, '0');
		if (typeof result.text === 'string')
			return tx && tx.input && tx.input.hidden ? '•'.repeat(result.text.length)
				: '“' + result.text + '”';
		if (typeof result.item === 'number') {
			const name = tx && tx.items ? tx.items[result.item - 1] : null;
			return 'item ' + result.item + (name ? ' “' + name + '”' : '');
		}
		if (typeof result.yes === 'boolean')
			return result.yes ? 'yes' : 'no';
		return 'confirmed';
	}

	/* An RFM result's R-APDUs as a person reads them: "#2 9000 0000ffff7f20…" */
	function rapduText(r) {
		return (r.rapdus || []).map((x) => '#' + (x.index + 1) + ' ' + x.sw +
			(x.data ? ' ' + (x.data.length > 24 ? x.data.slice(0, 24) + '…' : x.data) : '')).join(', ');
	}

	function arrow(e, from, to, label, detail, kind) {
		return {
			key: String(e.seq), seq: e.seq, events: [e.event], from, to, label, detail: detail || '',
			kind: kind || 'normal', at: e.at, note: false,
		};
	}

	function note(e, lane, label, detail, kind) {
		const r = arrow(e, lane, lane, label, detail, kind);
		r.note = true;
		return r;
	}

	function commandRow(e) {
		const name = COMMAND[e.event.slice(0, -5)] || e.event;
		const again = (e.attempt || 1) > 1 || RETRY_TRIGGERS.has(e.trigger);
		const parts = ['CNTR ' + e.cntr, 'SMS #' + e['msg-id']];
		if (e.link && e.link !== 'netsim')
			parts.push('over ' + e.link);
		if (e.trigger && e.trigger !== 'start')
			parts.push(e.trigger);
		return arrow(e, 'sv2', 'uicc', name + (e.attempt > 1 ? ' (attempt ' + e.attempt + ')' : ''),
			     parts.join(' · '), again ? 'retry' : 'normal');
	}

	/*
	 * The rows of the diagram for a transaction's timeline (sorted by seq).
	 * Inferred rows have no time of their own: `after`/`before` name the
	 * event that bounds them.
	 */
	function rowsOf(tx, timeline) {
		const rows = [];
		const proactive = PROACTIVE[tx && tx.action] || 'proactive command';
		let por = null;          // the latest PoR row: its IR / R2S joins it
		let commandStart = 0;    // first row of the latest command (its EV, then C2)
		let answered = null;     // the inferred TERMINAL RESPONSE row
		let result = null;

		const answer = (at, e) => {
			answered = {
				key: 'tr', seq: e.seq, events: [], from: 'me', to: 'uicc',
				label: 'TERMINAL RESPONSE', detail: 'the user answered ' + proactive,
				kind: 'inferred', at: null, before: e.at, note: false,
			};
			rows.splice(at, 0, answered);
		};

		for (const e of timeline) {
			switch (e.event) {
			case 'queued':
				rows.push(arrow(e, 'sv1', 'sv2', 'request', tx && tx.action === 'rfm' ?
					(tx.rfm && tx.rfm.campaign ? 'campaign ' + tx.rfm.campaign : 'POST /v1/rfm') :
					'POST /v1/transactions'));
				break;
			case 'script-sent':
				rows.push(commandRow(e));
				por = null;
				break;
			case 'rfm-result': {
				const r = e.result || {};
				const what = (r.executed !== undefined ? r.executed + '/' + r.commands + ' executed' : '') +
					(r.sw ? ' · SW ' + r.sw : '');
				if (por && por.command === 'script') {
					por.label = 'PoR + R-APDUs';
					por.detail = what + ' · ' + por.detail;
					por.events.push(e.event);
					if (!r.ok)
						por.kind = 'fail';
				}
				rows.push(arrow(e, 'sv2', 'sv1', r.ok ? 'script done' : 'script stopped',
						rapduText(r), r.ok ? 'normal' : 'fail'));
				por = null;
				break;
			}
			case 'campaign-card':
				rows.push(note(e, 'sv1', 'campaign ' + e.campaign + ': card ' + e.state,
					       e.why || ('attempt ' + e.attempt), e.state === 'failed' ? 'fail' :
					       e.state === 'pending' ? 'retry' : e.state === 'done' ? 'done' : 'other'));
				break;
			case 'c2-sent':
				commandStart = rows.length;
				if (e.trigger === 'poll' && rows.length && rows[rows.length - 1].events[0] === 'poll')
					commandStart--;
				else if (!RETRY_TRIGGERS.has(e.trigger) && (e.attempt || 1) === 1)
					rows.push(Object.assign(arrow(e, 'sv1', 'sv2', EV_NAMES[e.trigger] ||
						'EV: ' + e.trigger, 'sends C2'), { key: 'ev' + e.seq }));
				/* fall through */
			case 'c1-sent':
			case 'release-sent':
				rows.push(commandRow(e));
				por = null;
				break;
			case 'por-received':
				por = arrow(e, 'uicc', 'sv2', 'PoR of ' + (COMMAND[e.command] || e.command),
					    (VIA[e.via] || e.via) +
					    ' · status ' + Number(e.status).toString(16).padStart(2, '0'),
					    e.status ? 'fail' : 'normal');
				por.command = e.command;
				rows.push(por);
				break;
			case 'ir-received':
				if (por && por.command === 'c1') {
					por.label = 'PoR + IR';
					por.detail = rqText(e.rq) + ' · ' + por.detail;
					por.rq = rqText(e.rq);
					por.events.push(e.event);
					rows.push({
						key: 'pc', seq: e.seq, events: [], from: 'uicc', to: 'me',
						label: proactive, detail: 'proactive command (FETCH)',
						kind: 'inferred', at: null, after: e.at, note: false,
					});
				} else {
					rows.push(arrow(e, 'sv2', 'sv1', 'IR', rqText(e.rq)));
				}
				por = null;
				break;
			case 'r2s-received': {
				const pending = e.state === 'pending';
				if (e.state === 'done' && !answered)
					answer(commandStart, e);
				if (por) {
					por.label = 'PoR + R2S ' + e.state;
					if (e.rq)
						por.detail = rqText(e.rq) + ' · ' + por.detail;
					por.events.push(e.event);
					if (pending)
						por.kind = 'retry';
				} else {
					rows.push(arrow(e, 'sv2', 'sv1', 'R2S ' + e.state, '', pending ? 'retry' : 'normal'));
				}
				por = null;
				break;
			}
			case 'mg-received':
				if (!answered)
					answer(rows.length, e);
				rows.push(arrow(e, 'uicc', 'sv1', 'MG',
						e.ignored ? 'ignored: transaction ' + e.ignored : 'SMS-SUBMIT to SV1'));
				break;
			case 'poll':
				rows.push(arrow(e, 'sv1', 'sv2', 'EV: poll', 'POST …/poll'));
				break;
			case 'r1-delivered':
				result = e.result;
				rows.push(arrow(e, 'sv2', 'sv1', 'R1 delivered', answerText(e.result, tx),
						e.result && e.result.general ? 'retry' : 'normal'));
				break;
			case 'released':
				rows.push(note(e, 'sv2', 'released', 'the card forgot it', 'done'));
				break;
			case 'failed':
				rows.push(note(e, 'sv1', 'failed', e.why, 'fail'));
				break;
			case 'expired':
				rows.push(note(e, 'sv1', 'expired', e.why, 'fail'));
				break;
			case 'por-timeout':
				rows.push(note(e, 'sv2', 'no PoR for ' + (COMMAND[e.command] || e.command),
					       'attempt ' + e.attempt, 'retry'));
				break;
			case 'release-unconfirmed':
				rows.push(note(e, 'sv2', 'release unconfirmed', '', 'fail'));
				break;
			case 'por-invalid':
				rows.push(arrow(e, 'uicc', 'sv2', 'PoR rejected', e.why, 'fail'));
				break;
			case 'por-error':
				rows.push(note(e, 'sv2', 'PoR status ' +
					       Number(e.status).toString(16).padStart(2, '0'), '', 'fail'));
				break;
			case 'delivery-error':
				rows.push(arrow(e, 'me', 'sv2', 'RP-ERROR', 'cause ' + e['rp-cause'], 'fail'));
				break;
			/* the SMPP link (doc/smpp.md) */
			case 'submit-retry':
				rows.push(note(e, 'sv2', 'SMSC: try again', e.reason + ' · SMS #' + e['msg-id'], 'retry'));
				break;
			case 'submit-refused':
				rows.push(note(e, 'sv2', 'SMSC refused', e.reason + ' · SMS #' + e['msg-id'], 'fail'));
				break;
			case 'delivery-receipt':
				rows.push(note(e, 'sv2', 'receipt: ' + e.stat, 'SMS #' + e['msg-id'] + ' · message ' +
					       e['message-id'], e.delivered ? 'normal' : 'fail'));
				break;
			case 'link-refused':
				rows.push(note(e, 'sv2', 'unreadable from ' + e.link, e.why, 'fail'));
				break;
			default:
				rows.push(note(e, 'sv2', e.event, '', 'other'));
				break;
			}
		}
		if (answered && result)
			answered.detail = 'the user: ' + answerText(result, tx);
		return rows;
	}

	/* ---- drawing ---------------------------------------------------------- */

	const measure = document.createElement('canvas').getContext('2d');

	function textWidth(text, size, bold) {
		measure.font = (bold ? '600 ' : '') + size + 'px ' + FONT;
		return measure.measureText(text).width;
	}

	/* text cut with an ellipsis to fit `max` px */
	function fit(text, size, bold, max) {
		if (textWidth(text, size, bold) <= max)
			return text;
		let lo = 0, hi = text.length;
		while (lo < hi) {
			const mid = (lo + hi + 1) >> 1;
			if (textWidth(text.slice(0, mid) + '…', size, bold) <= max)
				lo = mid;
			else
				hi = mid - 1;
		}
		return text.slice(0, lo) + '…';
	}

	function el(name, attrs, parent, text) {
		const n = document.createElementNS(SVG_NS, name);
		for (const k in attrs)
			n.setAttribute(k, attrs[k]);
		if (text !== undefined)
			n.textContent = text;
		if (parent)
			parent.appendChild(n);
		return n;
	}

	/* Text centred on cx, kept inside [lo, hi]; cut to fit. */
	function label(parent, text, cx, y, size, bold, lo, hi, cls) {
		const shown = fit(text, size, bold, hi - lo);
		const w = textWidth(shown, size, bold);
		const x = Math.min(Math.max(cx, lo + w / 2), hi - w / 2);
		return el('text', {
			x: x.toFixed(1), y: y.toFixed(1), 'text-anchor': 'middle', class: cls,
			'font-size': size, 'font-weight': bold ? 600 : 400,
		}, parent, shown);
	}

	function timeOf(row, t0) {
		if (row.at)
			return { rel: relText(atMs(row.at) - t0), abs: clockText(row.at) };
		if (row.after)
			return { rel: '≥ ' + relText(atMs(row.after) - t0), abs: 'inferred' };
		return { rel: '≤ ' + relText(atMs(row.before) - t0), abs: 'inferred' };
	}

	function rowText(row, t0) {
		const t = timeOf(row, t0);
		const who = row.note ? row.from.toUpperCase() : row.from.toUpperCase() + ' → ' + row.to.toUpperCase();
		return t.rel + ' ' + who + ': ' + row.label + (row.detail ? ' (' + row.detail + ')' : '') +
			(row.kind === 'inferred' ? ' [inferred]' : '');
	}

	function draw(animate) {
		const svg = $('seq');
		const scroller = $('scroller');
		const tx = state.tx;
		const timeline = [...state.events.values()].sort((a, b) => a.seq - b.seq);
		const rows = rowsOf(tx, timeline);
		const avail = scroller.clientWidth;
		const narrow = avail < 600;
		const timeW = narrow ? 86 : 112;
		const gap = Math.max(narrow ? 68 : 120, Math.floor((avail - timeW - 2) / 4));
		const W = timeW + 4 * gap;
		const headH = 46, rowH = narrow ? 48 : 52;
		const H = headH + rows.length * rowH + 16;
		const laneX = (id) => timeW + gap * (LANE[id] + 0.5);
		const size = narrow ? 12 : 13, small = narrow ? 10.5 : 11;
		const t0 = timeline.length ? atMs(timeline[0].at) : 0;

		while (svg.lastChild)
			svg.removeChild(svg.lastChild);
		svg.classList.toggle('narrow', narrow);
		svg.setAttribute('width', W);
		svg.setAttribute('height', H);
		svg.setAttribute('viewBox', '0 0 ' + W + ' ' + H);
		el('title', { id: 'seq-title' }, svg, tx ? 'Sequence diagram of transaction ' + tx.id + ': ' +
		   rows.length + ' steps (the same as text below)' : 'no transaction chosen');

		const heads = el('g', { class: 'heads' }, svg);
		el('text', { x: timeW - 10, y: 27, 'text-anchor': 'end', class: 'time-head' }, heads,
		   narrow ? 'time' : 'time (UTC)');
		for (const lane of LANES) {
			const x = laneX(lane.id);
			el('line', { x1: x, y1: headH - 8, x2: x, y2: H - 6, class: 'lifeline' }, svg);
			const g = el('g', { class: 'lane lane-' + lane.id }, heads);
			el('rect', { x: x - gap / 2 + 5, y: 8, width: gap - 10, height: 28, rx: 6 }, g);
			const name = gap >= 170 ? lane.full : lane.short;
			el('text', { x, y: 27, 'text-anchor': 'middle', class: 'lane-label' }, g, name);
			el('title', {}, g, lane.full);
		}
		el('line', { x1: timeW - 4, y1: 6, x2: timeW - 4, y2: H - 6, class: 'time-rule' }, svg);

		const body = el('g', { class: 'rows' }, svg);
		rows.forEach((row, i) => {
			const y = headH + i * rowH + rowH * 0.56;
			const cls = ['row', 'k-' + row.kind, row.note ? 'note' : 'arrow'];
			if (animate && !state.drawn.has(row.key))
				cls.push('new');
			const g = el('g', {
				class: cls.join(' '), 'data-key': row.key, 'data-seq': row.seq,
				'data-events': row.events.join(' '), 'data-label': row.label,
				'data-from': row.from, 'data-to': row.to, 'data-kind': row.kind,
			}, body);
			el('title', {}, g, rowText(row, t0));
			const t = timeOf(row, t0);
			el('text', { x: timeW - 10, y: y - 2, 'text-anchor': 'end', class: 'time' }, g, t.rel);
			el('text', { x: timeW - 10, y: y + 11, 'text-anchor': 'end', class: 'clock' }, g, t.abs);
			if (row.note) {
				const cx = laneX(row.from);
				const text = row.label + (row.detail ? ': ' + row.detail : '');
				const shown = fit(text, small + 1, false, W - timeW - 16);
				const w = textWidth(shown, small + 1, false) + 18;
				const x = Math.min(Math.max(cx - w / 2, timeW + 2), W - w - 2);
				el('rect', { x: x.toFixed(1), y: y - 13, width: w.toFixed(1), height: 22, rx: 4, class: 'note-box' }, g);
				el('text', {
					x: (x + w / 2).toFixed(1), y: y + 2, 'text-anchor': 'middle', class: 'note-text',
					'font-size': small + 1,
				}, g, shown);
				return;
			}
			const x1 = laneX(row.from), x2 = laneX(row.to);
			const dir = Math.sign(x2 - x1);
			const tip = x2 - dir * 3;
			el('line', { x1, y1: y, x2: tip - dir * 8, y2: y, class: 'shaft' }, g);
			el('path', { d: 'M' + tip + ',' + y + ' l' + (-dir * 10) + ',-5 v10 z', class: 'head' }, g);
			const lo = Math.min(x1, x2), hi = Math.max(x1, x2);
			if (lo < laneX('me') && hi > laneX('me'))
				el('circle', { cx: laneX('me'), cy: y, r: 3.5, class: 'hop' }, g);
			label(g, row.label, (x1 + x2) / 2, y - 7, size, true, timeW + 2, W - 2, 'label');
			if (row.detail)
				label(g, row.detail, (x1 + x2) / 2, y + 15, small, false, timeW + 2, W - 2, 'detail');
		});

		const list = $('transcript');
		list.replaceChildren(...rows.map((row) => {
			const li = document.createElement('li');
			li.textContent = rowText(row, t0);
			return li;
		}));
		const fresh = rows.filter((r) => !state.drawn.has(r.key));
		if (animate && fresh.length)
			$('announce').textContent = fresh.map((r) => rowText(r, t0)).join('; ');
		state.drawn = new Set(rows.map((r) => r.key));
	}

	/* ---- the chosen transaction ------------------------------------------- */

	function summaryItem(dl, term, value, cls) {
		if (value === undefined || value === null || value === '')
			return;
		const dt = document.createElement('dt');
		const dd = document.createElement('dd');
		dt.textContent = term;
		dd.textContent = value;
		if (cls)
			dd.className = cls;
		dl.append(dt, dd);
	}

	function showSummary() {
		const tx = state.tx;
		const dl = $('tx-summary');
		dl.replaceChildren();
		if (!tx) {
			$('dia-h').textContent = state.selected ? 'Transaction ' + state.selected : 'No transaction chosen';
			return;
		}
		$('dia-h').textContent = 'Transaction ' + tx.id;
		summaryItem(dl, 'state', tx.state, 'state s-' + tx.state);
		summaryItem(dl, 'card', tx.iccid);
		summaryItem(dl, 'action', tx.action + (tx.text ? ' “' + tx.text + '”' : '') +
			    (tx.items ? ' [' + tx.items.join(', ') + ']' : ''));
		if (tx.rfm) {
			summaryItem(dl, 'script', tx.rfm.format + ': ' + (tx.rfm.apdus || []).join(' '));
			summaryItem(dl, 'campaign', tx.rfm.campaign);
		}
		summaryItem(dl, tx.rfm ? 'TAR' : 'TAR / txid', tx.rfm ? tx.tar : tx.tar + ' / ' + tx.txid);
		if (tx.ev && !tx.rfm) {
			const rules = [];
			if (tx.ev.mg)
				rules.push('MG');
			if (tx.ev.rq)
				rules.push('RQ');
			if (tx.ev['preset-ms'] !== null && tx.ev['preset-ms'] !== undefined)
				rules.push('preset ' + tx.ev['preset-ms'] / 1000 + ' s');
			summaryItem(dl, 'EV rules', rules.join(', ') || 'poll only');
		}
		summaryItem(dl, 'time extension', tx.rq ? rqText(tx.rq) : null);
		if (tx.action === 'rfm')
			summaryItem(dl, 'R-APDUs', tx.result ? (tx.result['por-status'] ? 'PoR status ' +
				tx.result['por-status-name'] : rapduText(tx.result)) : null);
		else
			summaryItem(dl, 'R1', tx.result ? answerText(tx.result, tx) : null);
		summaryItem(dl, 'why', tx.why);
	}

	async function loadSelected() {
		const id = state.selected;
		const gen = state.generation;
		if (!id)
			return;
		const r = await getJSON('/v1/transactions/' + id).catch(() => ({ status: 0 }));
		if (gen !== state.generation)
			return;
		if (r.status !== 200) {
			$('dia-h').textContent = 'Transaction ' + id + (r.status === 404 ? ' does not exist' : ': not readable');
			return;
		}
		const tx = r.body;
		const first = !state.loaded;
		for (const e of tx.timeline || [])
			state.events.set(e.seq, e);
		delete tx.timeline;
		state.tx = tx;
		state.loaded = true;
		showSummary();
		draw(!first);
		/* the list's entry of this transaction need not wait for the next list refresh */
		const i = state.txs.findIndex((t) => t.id === tx.id);
		if (i >= 0 && state.txs[i].state !== tx.state) {
			state.txs[i] = Object.assign({}, state.txs[i], { state: tx.state });
			showTransactions();
		}
	}
	const refreshSelected = debounce(loadSelected, 250);

	function choose(id, how) {
		id = Number(id);
		if (!id)
			return;
		if (id !== state.selected) {
			state.selected = id;
			state.generation++;
			state.tx = state.txs.find((t) => t.id === id) || null;
			state.events = new Map();
			state.drawn = new Set();
			state.loaded = false;
			showSummary();
			draw(false);
			history.replaceState(null, '', '#tx=' + id);
			loadSelected();
		}
		markSelected();
		if (how === 'user')
			$('scroller').scrollLeft = 0;
	}

	/* ---- lists ------------------------------------------------------------ */

	/*
	 * Keeps ul's <li> in the order of items, reusing the element of each key
	 * (so the focused one stays focused while the list updates live).
	 */
	function syncList(ul, items, keyOf, fill) {
		const old = new Map([...ul.children].map((li) => [li.dataset.key, li]));
		const want = items.map((it) => {
			const key = String(keyOf(it));
			let li = old.get(key);
			if (!li) {
				li = document.createElement('li');
				li.dataset.key = key;
				if (ul.getAttribute('role') === 'listbox') {
					li.setAttribute('role', 'option');
					li.tabIndex = -1;
				}
			}
			old.delete(key);
			fill(li, it);
			return li;
		});
		const hadFocus = old.size && [...old.values()].includes(document.activeElement);
		for (const li of old.values())
			li.remove();
		want.forEach((li, i) => {
			if (ul.children[i] !== li)
				ul.insertBefore(li, ul.children[i] || null);
		});
		rovingTab(ul);
		if (hadFocus && want.length)
			(ul.querySelector('[tabindex="0"]') || want[0]).focus();
	}

	/* one item of a listbox is in the tab order: the focused, else the selected, else the first */
	function rovingTab(ul, current) {
		const items = [...ul.querySelectorAll('[role=option]')];
		const pick = current || items.find((li) => li === document.activeElement) ||
			items.find((li) => li.getAttribute('aria-selected') === 'true') || items[0];
		for (const li of items)
			li.tabIndex = li === pick ? 0 : -1;
	}

	function listbox(ul, onChoose) {
		ul.addEventListener('keydown', (ev) => {
			const items = [...ul.querySelectorAll('[role=option]')];
			const i = items.indexOf(document.activeElement);
			let j;
			switch (ev.key) {
			case 'ArrowDown':
				j = Math.min(i + 1, items.length - 1);
				break;
			case 'ArrowUp':
				j = Math.max(i - 1, 0);
				break;
			case 'Home':
				j = 0;
				break;
			case 'End':
				j = items.length - 1;
				break;
			case 'Enter':
			case ' ':
				if (i >= 0)
					onChoose(items[i].dataset.key, 'user');
				ev.preventDefault();
				return;
			default:
				return;
			}
			ev.preventDefault();
			if (items[j]) {
				rovingTab(ul, items[j]);
				items[j].focus();
			}
		});
		ul.addEventListener('click', (ev) => {
			const li = ev.target.closest('[role=option]');
			if (!li)
				return;
			rovingTab(ul, li);
			li.focus();
			onChoose(li.dataset.key, 'user');
		});
	}

	function line(cls, text) {
		const s = document.createElement('span');
		s.className = cls;
		s.textContent = text;
		return s;
	}

	function showTransactions() {
		const txs = state.cardFilter ? state.txs.filter((t) => t.iccid === state.cardFilter) : state.txs;
		const ul = $('tx-list');
		syncList(ul, txs.slice(0, TX_PAGE), (t) => t.id, (li, t) => {
			li.replaceChildren(
				line('tx-id', '#' + t.id),
				line('badge s-' + t.state, t.state),
				line('tx-what', t.action + (t.text ? ' “' + t.text + '”' : '')),
				line('tx-card', '…' + String(t.iccid).slice(-6) + ' · ' + clockText(t.created)));
			li.setAttribute('aria-label', 'Transaction ' + t.id + ', ' + t.action + ', ' + t.state +
					', card ' + t.iccid);
		});
		$('tx-empty').hidden = txs.length > 0;
		$('tx-empty').textContent = state.cardFilter ? 'no transactions on card ' + state.cardFilter
			: 'no transactions yet';
		$('tx-more').hidden = !state.txMore;
		$('tx-more').textContent = 'the newest ' + TX_PAGE + ' shown; ota-cli tx list lists them all';
		markSelected();
	}

	function markSelected() {
		for (const li of $('tx-list').children)
			li.setAttribute('aria-selected', String(Number(li.dataset.key) === state.selected));
		for (const li of $('card-list').children)
			li.setAttribute('aria-selected', String(li.dataset.key === state.cardFilter));
		rovingTab($('tx-list'));
		rovingTab($('card-list'));
	}

	function showCards() {
		syncList($('card-list'), state.cards, (c) => c.iccid, (li, c) => {
			const tars = (c.tars || []).map((t) => t.tar + (t.mode === 'prior-art' ? ' (prior art)' : ''));
			li.replaceChildren(
				line('card-id', c.iccid),
				line('card-more', [c.msisdn, 'TAR ' + tars.join(', ')].filter(Boolean).join(' · ')));
			li.setAttribute('aria-label', 'Card ' + c.iccid + (c.msisdn ? ', ' + c.msisdn : ''));
		});
		$('cards-empty').hidden = state.cards.length > 0;
		$('cards-more').hidden = !state.cardsMore;
		$('cards-more').textContent = 'the first ' + CARD_PAGE + ' shown; ota-cli card list lists them all';
		markSelected();
	}

	function showCampaigns() {
		const list = state.campaigns || [];
		syncList($('campaign-list'), list, (c) => c.id !== undefined ? c.id : c.name, (li, c) => {
			const parts = [];
			for (const k of ['state', 'total', 'done', 'failed', 'active', 'pending', 'cancelled'])
				if (c[k] !== undefined && c[k] !== null && typeof c[k] !== 'object')
					parts.push(k === 'state' ? c[k] : k + ' ' + c[k]);
			li.replaceChildren(line('camp-name', c.name || 'campaign ' + c.id),
					   line('camp-more', parts.join(' · ')));
		});
		$('campaigns-empty').hidden = list.length > 0;
		$('campaigns-empty').textContent = state.campaigns === null ? 'no campaigns (this server has none)'
			: 'no campaigns';
	}

	/* the chosen card's own when the list shows one card's */
	async function loadTransactions() {
		const card = state.cardFilter;
		const r = await getJSON('/v1/transactions?limit=' + TX_PAGE +
					(card ? '&iccid=' + encodeURIComponent(card) : '')).catch(() => ({ status: 0 }));
		if (r.status !== 200 || card !== state.cardFilter)
			return;
		state.txs = r.body;
		state.txMore = r.more;
		showTransactions();
	}

	async function loadCards() {
		const r = await getJSON('/v1/cards?limit=' + CARD_PAGE).catch(() => ({ status: 0 }));
		if (r.status === 200) {
			state.cards = r.body;
			state.cardsMore = r.more;
			showCards();
		}
	}

	/* before campaigns exist the route answers 404: say so, and look again later */
	async function loadCampaigns() {
		const r = await getJSON('/v1/campaigns').catch(() => ({ status: 0 }));
		if (r.status === 200) {
			const b = r.body;
			state.campaigns = Array.isArray(b) ? b : (b && Array.isArray(b.campaigns) ? b.campaigns : []);
		} else if (r.status === 404) {
			state.campaigns = null;
		}
		showCampaigns();
	}

	const refreshLists = debounce(() => { loadTransactions(); loadCampaigns(); }, 400);

	/* ---- the event stream --------------------------------------------------- */

	function onEvent(msg) {
		let e;
		try {
			e = JSON.parse(msg.data);
		} catch (err) {
			return;
		}
		/* a card not listed is new, unless the list is one page of more */
		if (e.iccid && !state.cardsMore && !state.cards.some((c) => c.iccid === e.iccid))
			loadCards();
		const known = state.txs.some((t) => t.id === e.tx);
		if (!known && e.event === 'queued' && $('follow').checked)
			choose(e.tx, 'follow');
		if (e.tx === state.selected) {
			const fresh = !state.events.has(e.seq);
			state.events.set(e.seq, e);
			if (fresh)
				draw(true);
			refreshSelected();
		}
		refreshLists();
	}

	function connect() {
		const conn = $('conn');
		const es = new EventSource('/v1/events');
		let lost = false;
		for (const kind of EVENT_KINDS)
			es.addEventListener(kind, onEvent);
		es.onopen = () => {
			conn.textContent = 'live: following /v1/events';
			conn.className = 'conn live';
			if (lost) {      /* no replay: read what happened meanwhile */
				loadAll();
				lost = false;
			}
		};
		es.onerror = () => {
			lost = true;
			conn.className = 'conn lost';
			if (es.readyState === EventSource.CLOSED) {
				conn.textContent = 'event stream closed; retrying in 3 s';
				setTimeout(connect, 3000);
			} else {
				conn.textContent = 'event stream lost; reconnecting…';
			}
		};
	}

	async function loadAll() {
		await Promise.all([loadCards(), loadTransactions(), loadCampaigns()]);
		if (state.selected)
			await loadSelected();
	}

	/* ---- start -------------------------------------------------------------- */

	async function start() {
		listbox($('tx-list'), (key, how) => choose(key, how));
		listbox($('card-list'), (key) => {
			state.cardFilter = state.cardFilter === key ? null : key;
			showTransactions();
			loadTransactions();
		});
		if (window.ResizeObserver) {
			let width = 0;
			new ResizeObserver(() => {
				const w = $('scroller').clientWidth;
				if (w !== width) {
					width = w;
					draw(false);
				}
			}).observe($('scroller'));
		}
		window.addEventListener('hashchange', () => {
			const h = /^#tx=(\d+)$/.exec(location.hash);
			if (h)
				choose(h[1], 'link');
		});
		connect();
		await loadAll();
		const m = /^#tx=(\d+)$/.exec(location.hash);
		if (m)
			choose(m[1], 'link');
		else if (!state.selected && state.txs.length)
			choose(state.txs[0].id, 'follow');
		else
			draw(false);
	}

	start();
})();
