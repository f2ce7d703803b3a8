// How long from loading the callback page to the first API answer through `auth.fetch`
// (headless Chromium, the local stack): the demo marks `first-api-answer` when its first call
// through the edge worker answers; the mark's time is counted from the callback page's
// navigation start (code redemption, ID token check, OBO exchange and the call itself).
// A measurement, not a test: `node tests/browser/first-call.mjs [runs]` (default 10) after
// `bash tests/browser/run.sh` built everything; prints each run and the median.

import * as h from './helpers.mjs';

const runs = Number(process.argv[2] ?? 10);
const stack = await h.stack();
const times = [];
try {
  for (let i = 0; i < runs; i += 1) {
    const chrome = await h.browser();
    try {
      const page = await chrome.page();
      await h.signIn(page, stack.urls.demo, 'ada.agent@stackflow.test');
      await page.waitForSelector('#api-body[data-status="200"]', h.WAIT);
      const ms = await page.evaluate(() => performance.getEntriesByName('first-api-answer')[0]?.startTime);
      if (typeof ms !== 'number') throw new Error('the demo did not mark its first API answer');
      times.push(ms);
      console.log(`run ${i + 1}: ${ms.toFixed(0)} ms`);
    } finally {
      await chrome.close();
    }
  }
} finally {
  await stack.close();
}
const sorted = [...times].sort((a, b) => a - b);
const median = sorted.length % 2 ? sorted[(sorted.length - 1) / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
console.log(`median of ${times.length}: ${median.toFixed(0)} ms (min ${sorted[0].toFixed(0)}, max ${sorted.at(-1).toFixed(0)})`);
