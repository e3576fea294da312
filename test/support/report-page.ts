// The report tests' headless Chromium: pages served from memory on loopback and opened with every
// request and error recorded, then read back: where elements are on the full page, and how many
// pixels of a colour a screenshot has inside a box.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Browser, chromium, type Page } from 'playwright-core';
import type { PNG } from 'pngjs';

export type RGB = [number, number, number];
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Where the elements are on the full page, in CSS pixels (the screenshot's, at scale 1). */
export async function boxes(page: Page, selector: string): Promise<Box[]> {
  const scroll = (await page.evaluate('[window.scrollX, window.scrollY]')) as [number, number];
  const out: Box[] = [];
  for (const el of await page.locator(selector).all()) {
    const b = (await el.boundingBox())!;
    out.push({ ...b, x: b.x + scroll[0], y: b.y + scroll[1] });
  }
  return out;
}

/** Pixels within `tol` of `rgb` on every channel inside the box. */
export function pixels(png: PNG, box: Box, rgb: RGB, tol: number): number {
  let n = 0;
  const x1 = Math.min(png.width, Math.floor(box.x + box.width));
  const y1 = Math.min(png.height, Math.floor(box.y + box.height));
  for (let y = Math.max(0, Math.ceil(box.y)); y < y1; y++) {
    for (let x = Math.max(0, Math.ceil(box.x)); x < x1; x++) {
      const i = (y * png.width + x) * 4;
      if (
        Math.abs(png.data[i]! - rgb[0]) <= tol &&
        Math.abs(png.data[i + 1]! - rgb[1]) <= tol &&
        Math.abs(png.data[i + 2]! - rgb[2]) <= tol
      )
        n++;
    }
  }
  return n;
}

/** The share of the box's pixels that are within `tol` of `rgb`. */
export function share(png: PNG, box: Box, rgb: RGB, tol: number): number {
  return pixels(png, box, rgb, tol) / Math.max(1, Math.floor(box.width) * Math.floor(box.height));
}

/** Pages served from memory on loopback and one Chromium page open on the first, with what it did. */
export interface ServedPage {
  page: Page;
  /** The browser, for more pages. */
  browser: Browser;
  /** http://127.0.0.1:PORT */
  base: string;
  /** Paths the server was asked for, in order. */
  hits: string[];
  /** Every URL the page requested, and those that failed. */
  requests: string[];
  failedRequests: string[];
  /** Console errors and uncaught page errors. */
  errors: string[];
  close(): Promise<void>;
}

/**
 * Serves `pages` (path → HTML) on a loopback port, launches Chromium (`executablePath`, `args`)
 * and opens `first` at `width` px, recording every request, failure and console error.
 */
export async function servePages(
  pages: ReadonlyMap<string, string>,
  first: string,
  executablePath: string,
  args: string[],
  width: number,
): Promise<ServedPage> {
  const hits: string[] = [];
  const requests: string[] = [];
  const failedRequests: string[] = [];
  const errors: string[] = [];
  const server: Server = createServer((req, res) => {
    hits.push(req.url ?? '');
    const body = pages.get(req.url ?? '');
    res.writeHead(body !== undefined ? 200 : 404, { 'content-type': 'text/html; charset=utf-8' });
    res.end(body ?? 'not found');
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let browser: Browser | undefined;
  const close = async () => {
    try {
      await browser?.close();
    } finally {
      await new Promise((done) => server.close(done));
    }
  };
  try {
    browser = await chromium.launch({ executablePath, args });
    const page = await browser.newPage({ viewport: { width, height: 900 } });
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`page: ${e.message}`));
    page.on('request', (r) => requests.push(r.url()));
    page.on('requestfailed', (r) => failedRequests.push(`${r.url()}: ${r.failure()?.errorText}`));
    await page.goto(`${base}${first}`, { waitUntil: 'load' });
    return { page, browser, base, hits, requests, failedRequests, errors, close };
  } catch (err) {
    await close();
    throw err;
  }
}
