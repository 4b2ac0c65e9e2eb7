// An SMSC for smsgate's SMPP integration tests: our glue around the `smpp` npm package's server.
//
//   node server.js PORT SYSTEM_ID PASSWORD      (PORT 0 picks a free one)
//
// It listens on 127.0.0.1 only, accepts bind_transceiver with the given credentials, answers
// submit_sm with message ids and follows each one that asks for a receipt with a delivery-receipt
// deliver_sm. Every PDU it receives becomes one JSON line on stdout (short_message as hex, its
// TLVs by name), so the test sees exactly what went over the wire. Commands arrive as JSON lines
// on stdin:
//   {"cmd": "fail_next", "status": 88}          answer the next submit_sm with that status
//                                               ("after": N lets N submits pass first)
//   {"cmd": "deliver", "source_addr": "...", "destination_addr": "...", "source_addr_ton": 1,
//    "esm_class": 0, "data_coding": 8, "short_message_hex": "..."}    send an MO deliver_sm
//   {"cmd": "ignore_next"}                      leave the next submit_sm unanswered
//   {"cmd": "enquire_link"}                     probe every bound ESME
//   {"cmd": "drop"}                             cut every connection without unbinding
'use strict';

const smpp = require('smpp');

const [port, systemId, password] = process.argv.slice(2);
if (port === undefined || !systemId || password === undefined) {
  process.stderr.write('usage: node server.js PORT SYSTEM_ID PASSWORD\n');
  process.exit(2);
}

// We want the octets as sent, not the library's decoded text.
delete smpp.commands.submit_sm.params.short_message.filter;
delete smpp.commands.deliver_sm.params.short_message.filter;
delete smpp.tlvs.message_payload.filter;

const TLV_NAMES = ['sar_msg_ref_num', 'sar_total_segments', 'sar_segment_seqnum',
  'message_payload', 'receipted_message_id', 'message_state', 'user_message_reference'];
const sessions = new Set();
let failNext = null;
let failAfter = 0;
let ignoreNext = false;
let nextId = 0x5f3a0000;

function emit(record) {
  process.stdout.write(JSON.stringify(record) + '\n');
}

function describe(pdu) {
  const record = {event: 'pdu', command: pdu.command, sequence_number: pdu.sequence_number,
    command_status: pdu.command_status};
  for (const key of ['system_id', 'system_type', 'source_addr', 'source_addr_ton',
    'destination_addr', 'dest_addr_ton', 'dest_addr_npi', 'esm_class', 'data_coding',
    'registered_delivery', 'message_id']) {
    if (pdu[key] !== undefined) record[key] = pdu[key];
  }
  if (Buffer.isBuffer(pdu.short_message)) record.short_message = pdu.short_message.toString('hex');
  const tlvs = {};
  for (const name of TLV_NAMES) {
    if (pdu[name] === undefined) continue;
    tlvs[name] = Buffer.isBuffer(pdu[name]) ? pdu[name].toString('hex') : pdu[name];
  }
  record.tlvs = tlvs;
  return record;
}

function receiptDate() {
  const d = new Date();
  const two = (n) => String(n).padStart(2, '0');
  return two(d.getUTCFullYear() % 100) + two(d.getUTCMonth() + 1) + two(d.getUTCDate()) +
    two(d.getUTCHours()) + two(d.getUTCMinutes());
}

function sendReceipt(session, submit, messageId) {
  const date = receiptDate();
  const text = `id:${messageId} sub:001 dlvrd:001 submit date:${date} done date:${date} ` +
    'stat:DELIVRD err:000 text:';
  session.deliver_sm({
    source_addr: submit.destination_addr, source_addr_ton: submit.dest_addr_ton,
    source_addr_npi: submit.dest_addr_npi, destination_addr: submit.source_addr,
    esm_class: 0x04, data_coding: 0, short_message: Buffer.from(text, 'ascii'),
    receipted_message_id: messageId, message_state: 2,
  }, () => {});
  emit({event: 'sent', command: 'deliver_sm', kind: 'receipt', message_id: messageId});
}

function onSubmit(session, pdu) {
  if (ignoreNext) {
    ignoreNext = false;
    return;
  }
  if (failNext !== null && failAfter > 0) {
    failAfter--;
  } else if (failNext !== null) {
    const status = failNext;
    failNext = null;
    session.send(pdu.response({command_status: status}));
    return;
  }
  const messageId = (nextId++).toString(16);
  session.send(pdu.response({message_id: messageId}));
  emit({event: 'accepted', sequence_number: pdu.sequence_number, message_id: messageId});
  if (pdu.registered_delivery & 1) setTimeout(() => sendReceipt(session, pdu, messageId), 20);
}

function onSession(session) {
  let bound = false;
  session.on('error', (error) => emit({event: 'error', error: String(error)}));
  session.on('close', () => { sessions.delete(session); emit({event: 'closed', bound}); });
  session.on('pdu', (pdu) => {
    emit(describe(pdu));
    if (pdu.command === 'bind_transceiver') {
      const ok = pdu.system_id === systemId && pdu.password === password;
      session.send(pdu.response(ok ? {system_id: 'peer'} : {command_status: smpp.ESME_RINVPASWD}));
      if (ok) { bound = true; sessions.add(session); }
    } else if (!bound && !pdu.isResponse()) {
      session.send(pdu.response({command_status: smpp.ESME_RINVBNDSTS}));
    } else if (pdu.command === 'submit_sm') {
      onSubmit(session, pdu);
    } else if (pdu.command === 'enquire_link') {
      session.send(pdu.response());
    } else if (pdu.command === 'unbind') {
      session.send(pdu.response(), () => session.close());
      bound = false;
      sessions.delete(session);
    } else if (pdu.command === 'unknown') {
      session.send(pdu.response());
    }
  });
}

function control(line) {
  let command;
  try {
    command = JSON.parse(line);
  } catch (error) {
    emit({event: 'bad_command', line});
    return;
  }
  if (command.cmd === 'fail_next') {
    failNext = command.status;
    failAfter = command.after || 0;
  } else if (command.cmd === 'deliver') {
    for (const session of sessions) {
      session.deliver_sm({
        source_addr: command.source_addr, source_addr_ton: command.source_addr_ton || 0,
        destination_addr: command.destination_addr, esm_class: command.esm_class || 0,
        data_coding: command.data_coding || 0,
        short_message: Buffer.from(command.short_message_hex, 'hex'),
      }, () => {});
    }
  } else if (command.cmd === 'ignore_next') {
    ignoreNext = true;
  } else if (command.cmd === 'enquire_link') {
    for (const session of sessions) session.enquire_link(() => {});
  } else if (command.cmd === 'drop') {
    for (const session of sessions) session.destroy();
  }
  emit({event: 'done', cmd: command.cmd, sessions: sessions.size});
}

const server = smpp.createServer(onSession);
server.listen(Number(port), '127.0.0.1', () => {
  emit({event: 'listening', port: server.address().port});
});

let buffered = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buffered += chunk;
  let newline;
  while ((newline = buffered.indexOf('\n')) >= 0) {
    const line = buffered.slice(0, newline).trim();
    buffered = buffered.slice(newline + 1);
    if (line) control(line);
  }
});
process.stdin.on('end', () => process.exit(0));
