// Headless Chromium logs in to Superset, opens the dashboard "Qtickets: sales", waits until every
// chart has rendered (or failed), and writes what the page shows as JSON: per chart its title,
// whether it shows an error, and a big number's text. Screenshot of the whole dashboard too.
// Environment: SUPERSET_URL, SUPERSET_ADMIN_PASSWORD, DASHBOARD_SLUG, OUT_JSON, SCREENSHOT.
import { writeFileSync } from 'node:fs';
import { chromium } from 'playwright-core';

const base = process.env.SUPERSET_URL ?? 'http://127.0.0.1:8088';
const slug = process.env.DASHBOARD_SLUG ?? 'qtickets-sales';
const expected = Number(process.env.EXPECTED_CHARTS ?? '0');
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1600, height: 1200 } });
  await page.goto(`${base}/login/`);
  await page.locator('input#username, input[name="username"]').fill('admin');
  await page.locator('input#password, input[name="password"]').fill(process.env.SUPERSET_ADMIN_PASSWORD);
  await Promise.all([page.waitForURL((url) => !url.pathname.startsWith('/login')),
    page.locator('button[type="submit"], input[type="submit"]').first().click()]);
  await page.goto(`${base}/superset/dashboard/${slug}/`);
  // Every chart holder is on the page, then none is loading any more: each shows its chart or an error.
  await page.waitForFunction((n) => document.querySelectorAll('[data-test="chart-grid-component"]').length >= n,
    expected, { timeout: 120000 });
  // A chart is done when its container shows a chart (big number, canvas, table) or an error.
  await page.waitForFunction(() => [...document.querySelectorAll('[data-test="chart-grid-component"]')]
    .every((h) => h.querySelector('[data-test="slice-container"] :is(.header-line, canvas, table), '
      + '[data-test="chart-container"] [role="alert"]') !== null), null, { timeout: 180000, polling: 500 });
  const charts = await page.$$eval('[data-test="chart-grid-component"]', (holders) => holders.map((h) => ({
    title: h.getAttribute('data-test-chart-name'),
    viz_type: h.getAttribute('data-test-viz-type'),
    error: (h.querySelector('[data-test="chart-container"] [role="alert"]')?.textContent ?? '').trim(),
    big_number: (h.querySelector('.header-line')?.textContent ?? '').trim(),
    rendered: h.querySelector('[data-test="slice-container"] :is(.header-line, canvas, table)') !== null,
  })));
  if (process.env.SCREENSHOT) await page.screenshot({ path: process.env.SCREENSHOT, fullPage: true });
  writeFileSync(process.env.OUT_JSON ?? '/dev/stdout', JSON.stringify(charts, null, 1));
} finally {
  await browser.close();
}
