// The memlab dev dependency pulls in puppeteer; the benchmark and tests never drive a browser
// through it (the UI tests use playwright-core with the system Chromium), so skip its download.
module.exports = { skipDownload: true };
