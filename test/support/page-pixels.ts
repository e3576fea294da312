// Reading a headless page back: where elements are on the full page, and how many pixels of a
// colour a screenshot has inside a box. Shared by the report tests that open Chromium.

import type { Page } from 'playwright-core';
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
