'use strict';
/*
 * Runs one call of an unmodified npm Clickatell client against a server on loopback.
 *
 *   node driver.js <npm prefix>   < job.json   > outcome.json
 *
 * job:     {"client": "clickatell-node" | "clickatell-api" | "node-clickatell",
 *           "base_url": "http://127.0.0.1:<port>", "api_id": ..., "user": ..., "password": ...,
 *           "method": "<the client's method name>", "args": [ ...its arguments, without the callback ]}
 * outcome: {"ok": true, "value": <what the client handed back>}
 *       or {"ok": false, "error": {"message": ..., "code": ...}}
 *   plus "requests": [{"original_host", "host", "port", "method", "path"}] — every HTTP request the
 *   client made, with the password masked.
 *
 * Pointing the clients at the server, by the smallest means each one allows:
 *   - node-clickatell has a documented option, `api_message_url`: the driver sets it.
 *   - clickatell-node and clickatell-api hard-code the host `api.clickatell.com` in a private
 *     variable (no option, no exported constant). The driver wraps `http.request` in this process
 *     so that a request for that host goes to the server's host and port instead; the clients'
 *     files are not touched. Any request that would still leave loopback is refused, and https is
 *     refused outright, so a test can never reach the real service.
 */

const http = require('http');
const https = require('https');
const path = require('path');
const { createRequire } = require('module');

const HARD_CODED_HOST = 'api.clickatell.com';
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

const prefix = process.argv[2];
if (!prefix) {
  process.stderr.write('usage: node driver.js <npm prefix> < job.json\n');
  process.exit(2);
}
const requireInstalled = createRequire(path.join(path.resolve(prefix), 'package.json'));

const job = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const target = new URL(job.base_url);
const requests = [];
let finished = false;

function masked(text) {
  if (!text || !job.password) return text;
  return String(text).split(encodeURIComponent(job.password)).join('***').split(job.password).join('***');
}

function finish(outcome) {
  if (finished) return;
  finished = true;
  outcome.requests = requests;
  process.stdout.write(JSON.stringify(outcome) + '\n');
  process.exit(0);
}

// --- where requests go -------------------------------------------------------------------------

function redirectOptions(options) {
  const original = options.hostname || options.host || 'localhost';
  const out = Object.assign({}, options);
  if (original === HARD_CODED_HOST) {
    out.hostname = target.hostname;
    out.host = target.hostname;
    out.port = Number(target.port);
  }
  const host = out.hostname || out.host || 'localhost';
  if (!LOOPBACK.has(host)) {
    throw new Error('interop driver: refused a request to non-loopback host ' + host);
  }
  requests.push({
    original_host: original,
    host: host,
    port: Number(out.port || 80),
    method: out.method || 'GET',
    path: masked(out.path || '/'),
  });
  return out;
}

function toOptions(input, options) {
  // http.request(url[, options][, callback]) or http.request(options[, callback])
  if (typeof input === 'string' || input instanceof URL) {
    const url = new URL(input);
    return Object.assign(
      {
        protocol: url.protocol,
        hostname: url.hostname.replace(/^\[|\]$/g, ''),
        port: url.port,
        path: url.pathname + url.search,
      },
      typeof options === 'object' && options !== null ? options : {}
    );
  }
  return input;
}

const originalRequest = http.request;
http.request = function (input, options, callback) {
  if (typeof options === 'function') {
    callback = options;
    options = undefined;
  }
  const redirected = redirectOptions(toOptions(input, options));
  return callback === undefined
    ? originalRequest.call(http, redirected)
    : originalRequest.call(http, redirected, callback);
};
http.get = function (input, options, callback) {
  const req = http.request(input, options, callback);
  req.end();
  return req;
};
https.request = https.get = function () {
  throw new Error('interop driver: https is refused; the reference server listens on plain http');
};

// --- what the client handed back ---------------------------------------------------------------

function plain(value) {
  // clickatell-node returns arrays that carry named properties (`row['ID'] = ...`), which
  // JSON.stringify would drop: turn those into objects.
  if (value instanceof Error) {
    return { message: value.message, code: value.code === undefined ? null : value.code };
  }
  if (Array.isArray(value)) {
    const keys = Object.keys(value);
    if (keys.every((k) => String(Number(k)) === k)) return value.map(plain);
    const out = {};
    for (const k of keys) out[k] = plain(value[k]);
    return out;
  }
  if (value !== null && typeof value === 'object') {
    const out = {};
    for (const k of Object.keys(value)) out[k] = plain(value[k]);
    return out;
  }
  return value === undefined ? null : value;
}

function settle(err, value) {
  if (err) finish({ ok: false, error: plain(err instanceof Error ? err : new Error(String(err))) });
  else finish({ ok: true, value: plain(value) });
}

process.on('uncaughtException', (err) => settle(err));
process.on('exit', () => {
  if (!finished) {
    finished = true;
    process.stdout.write(
      JSON.stringify({
        ok: false,
        error: { message: 'the client never called back', code: null },
        requests: requests,
      }) + '\n'
    );
  }
});

// --- the clients -------------------------------------------------------------------------------

const args = job.args || [];
switch (job.client) {
  case 'clickatell-node': {
    // require('clickatell-node').http(user, password, apiId); node-style callback(err, value)
    const api = requireInstalled('clickatell-node').http(job.user, job.password, job.api_id);
    api[job.method](...args, settle);
    break;
  }
  case 'clickatell-api': {
    // require('clickatell-api')(user, password).http(apiId); every method returns a Q promise
    const api = requireInstalled('clickatell-api')(job.user, job.password).http(job.api_id);
    api[job.method](...args).then(
      (value) => settle(null, value),
      (err) => settle(err)
    );
    break;
  }
  case 'node-clickatell': {
    // new Clickatell({user, password, api_id, api_message_url}); callback(body) on HTTP 200 only
    const Clickatell = requireInstalled('node-clickatell');
    const api = new Clickatell({
      user: job.user,
      password: job.password,
      api_id: job.api_id,
      api_message_url: job.base_url + '/http/sendmsg',
    });
    api[job.method](...args, (body) => settle(null, body));
    break;
  }
  default:
    process.stderr.write('unknown client ' + job.client + '\n');
    process.exit(2);
}
