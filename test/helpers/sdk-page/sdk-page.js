// Runs in the browser, inside sdk-page.html. Node (test/helpers/sdk-browser.ts) calls
// window.openkvsSdkPage.call(...) for each API call, with either SDK, and gets plain JSON back:
// what the application would see (data, or the error's name, status and request id). Each call is
// also written on the page, for the screenshot. Plain JavaScript: the page loads it as is.
(() => {
  'use strict';

  const log = document.getElementById('log');

  function show(text, ok) {
    const line = document.createElement('div');
    line.className = ok ? 'ok' : 'fail';
    line.textContent = text;
    log.appendChild(line);
  }

  // JSON cannot carry Dates: numbers under *Timestamp keys (epoch ms) become Dates again.
  function revive(value) {
    if (Array.isArray(value)) return value.map(revive);
    if (value === null || typeof value !== 'object') return value;
    const out = {};
    for (const [key, v] of Object.entries(value)) out[key] = key.endsWith('Timestamp') && typeof v === 'number' ? new Date(v) : revive(v);
    return out;
  }

  async function callV3({ service, operation, input, endpoint, region, credentials }) {
    const sdk = window.openkvsSdkV3[service];
    const client = new sdk.Client({ endpoint, region, credentials, maxAttempts: 1 });
    try {
      const { $metadata, ...data } = await client.send(new sdk.commands[`${operation}Command`](revive(input)));
      return { ok: true, data, status: $metadata.httpStatusCode, requestId: $metadata.requestId };
    } catch (err) {
      return { ok: false, name: err.name, message: err.message, status: err.$metadata?.httpStatusCode, requestId: err.$metadata?.requestId };
    } finally {
      client.destroy();
    }
  }

  async function callV2({ service, operation, input, endpoint, region, credentials }) {
    const client = new window.AWS[service]({ endpoint, region, credentials: new window.AWS.Credentials(credentials), maxRetries: 0 });
    const request = client[operation.charAt(0).toLowerCase() + operation.slice(1)](revive(input));
    try {
      const data = await request.promise();
      return { ok: true, data, status: request.response.httpResponse.statusCode, requestId: request.response.requestId };
    } catch (err) {
      return { ok: false, name: err.code ?? err.name, message: err.message, status: err.statusCode, requestId: err.requestId };
    }
  }

  window.openkvsSdkPage = {
    /** Which SDK, server and mode the page is about: the screenshot's caption. */
    setTitle(text) {
      document.getElementById('title').textContent = text;
    },
    /** A line of the page's log (Node notes how playback went). */
    note(text, ok) {
      show(text, ok);
    },
    /** One call; never throws. `sdk` is 'v2' or 'v3'. */
    async call(request) {
      const result = request.sdk === 'v3' ? await callV3(request) : await callV2(request);
      const outcome = result.ok ? `${result.status} ok` : `${result.status ?? '-'} ${result.name}: ${result.message}`;
      show(`[${request.sdk}] ${request.operation} → ${outcome}${result.requestId ? ` (request id ${result.requestId})` : ''}`, result.ok);
      return result;
    },
  };
})();
