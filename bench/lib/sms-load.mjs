// What bench/proxy and bench/session send: realistic inbound-SMS webhooks, signed as Twilio signs
// them, and a keep-alive load loop over undici's dispatch API that times each request.

/** `total` inbound SMS POSTs to `${publicBase}/sms`, signed with `token`; headers as a flat array. */
export async function signedSmsRequests(total, token, publicBase) {
  const { getExpectedTwilioSignature } = await import('twilio/lib/webhooks/webhooks.js');
  const host = new URL(publicBase).host;
  const requests = [];
  for (let i = 0; i < total; i++) {
    const sid = `SM${String(i).padStart(32, '0')}`;
    const params = {
      ToCountry: 'US',
      ToState: 'CA',
      SmsMessageSid: sid,
      NumMedia: '0',
      ToCity: 'SAN FRANCISCO',
      FromZip: '94105',
      SmsSid: sid,
      FromState: 'CA',
      SmsStatus: 'received',
      FromCity: 'SAN FRANCISCO',
      Body: `Hello from the benchmark, message ${i}`,
      FromCountry: 'US',
      To: '+15017122661',
      ToZip: '94105',
      NumSegments: '1',
      MessageSid: sid,
      AccountSid: 'AC0123456789abcdef0123456789abcdef',
      From: '+15551234567',
      ApiVersion: '2010-04-01',
    };
    const body = Buffer.from(new URLSearchParams(params).toString());
    const signature = getExpectedTwilioSignature(token, `${publicBase}/sms`, params);
    requests.push({
      body,
      headers: [
        'host',
        host,
        'content-type',
        'application/x-www-form-urlencoded',
        'x-twilio-signature',
        signature,
        'i-twilio-idempotency-token',
        '',
        'user-agent',
        'TwilioProxy/1.1',
      ],
    });
  }
  return requests;
}

/**
 * Sends every request through `pool` with `concurrency` workers. Each gets its own idempotency
 * token (`${tokenPrefix}-${i}`), as Twilio sends a new one with each webhook (a repeated one marks
 * a retry). Returns each request's latency (ms), the wall time and the requests that failed.
 */
export async function sendAll(pool, requests, concurrency, tokenPrefix) {
  for (let i = 0; i < requests.length; i++) requests[i].headers[7] = `${tokenPrefix}-${i}`;
  const latencies = new Float64Array(requests.length);
  let next = 0;
  let failures = 0;
  const send = (i) =>
    new Promise((resolve) => {
      const r = requests[i];
      const t0 = performance.now();
      let status = 0;
      pool.dispatch(
        { method: 'POST', path: '/sms', headers: r.headers, body: r.body },
        {
          onRequestStart() {},
          onResponseStart(_c, statusCode) {
            status = statusCode;
          },
          onResponseData() {},
          onResponseEnd() {
            latencies[i] = performance.now() - t0;
            if (status !== 200) failures++;
            resolve();
          },
          onResponseError() {
            failures++;
            resolve();
          },
        },
      );
    });
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= requests.length) return;
      await send(i);
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { latencies, seconds: (performance.now() - start) / 1000, failures };
}

/** The value at quantile `q` of ascending `sorted`. */
export function quantile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}
