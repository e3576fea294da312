// Secrets in URLs (a hook's or webhook's `user:password@`, a `?token=`) must never reach a log,
// the journal or a report. This module redacts them wherever a URL appears in text, and splits a
// URL's userinfo off into the Authorization header that fetch needs instead (it refuses userinfo).

/** What a redacted secret reads as. */
export const REDACTED = '***';

/** Query keys whose values are secrets, as whole words of the key (`api_key`, `X-Amz-Signature`). */
const SECRET_WORDS = new Set([
  'auth',
  'authorization',
  'credential',
  'credentials',
  'jwt',
  'key',
  'pass',
  'passphrase',
  'passwd',
  'password',
  'pwd',
  'secret',
  'sig',
  'signature',
  'token',
]);

/** Secret words that also count inside a longer word (`accesstoken`, `apikey`, `clientsecret`). */
const SECRET_PARTS = ['token', 'secret', 'passw', 'signature', 'apikey', 'credential', 'session'];

/** URL-looking substrings of free text: a scheme, `://`, then up to whitespace or a quote. */
const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'`<>]+/gi;

/** Punctuation that ends a sentence rather than the URL in it. */
const TRAILING_PUNCTUATION = /[.,;:!?)\]}]+$/;

/** Whether a query parameter's value is a secret, judged by its key. */
export function isSecretKey(key: string): boolean {
  // Words split at punctuation and camelCase humps: apiKey, api_key and api-key alike.
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  return words.some((w) => SECRET_WORDS.has(w) || SECRET_PARTS.some((p) => w.includes(p)));
}

/**
 * One URL with its secrets replaced: userinfo by `***@`, secret query (and fragment) values by
 * `***`. A URL with nothing to hide comes back unchanged, byte for byte.
 */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return redactUnparsed(url);
  }
  let changed = false;
  if (parsed.username || parsed.password) {
    parsed.username = REDACTED;
    parsed.password = '';
    changed = true;
  }
  const search = redactParams(parsed.search);
  const hash = redactParams(parsed.hash);
  if (search !== parsed.search || hash !== parsed.hash) changed = true;
  if (!changed) return url;
  parsed.search = search;
  parsed.hash = hash;
  return parsed.href;
}

/** Every URL inside free text (an error message, a shell command) redacted as redactUrl does. */
export function redactText(text: string): string {
  return text.replace(URL_IN_TEXT, (found) => {
    const tail = TRAILING_PUNCTUATION.exec(found)?.[0] ?? '';
    return redactUrl(found.slice(0, found.length - tail.length)) + tail;
  });
}

export interface SplitUrl {
  /** The URL without userinfo (its query kept: the receiver may need its token). */
  url: string;
  /** `Basic …` from the userinfo, when there was any. */
  authorization?: string;
}

/** A URL's userinfo as a Basic Authorization header, and the URL without it, for fetch. */
export function splitCredentials(url: string): SplitUrl {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { url };
  }
  if (!parsed.username && !parsed.password) return { url };
  const user = decoded(parsed.username);
  const password = decoded(parsed.password);
  parsed.username = '';
  parsed.password = '';
  return {
    url: parsed.href,
    authorization: `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`,
  };
}

/** `?a=1&token=x` (or `#…`) with secret values replaced; the rest kept exactly as written. */
function redactParams(part: string): string {
  if (part.length < 2) return part;
  const pairs = part
    .slice(1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq < 0) return pair;
      // URLSearchParams decodes the key as a receiver would (`api%5Fkey`, `+`).
      const key = [...new URLSearchParams(pair).keys()][0] ?? '';
      return isSecretKey(key) ? `${pair.slice(0, eq)}=${REDACTED}` : pair;
    });
  return `${part[0]}${pairs.join('&')}`;
}

/**
 * A URL the WHATWG parser refuses (a password with an unescaped `/`, say) may still hold
 * credentials: everything between `://` and its last `@` goes.
 */
function redactUnparsed(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^\s]*@/i, `$1${REDACTED}@`);
}

/** Userinfo is percent-encoded in a URL; the header carries it decoded. */
function decoded(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}
