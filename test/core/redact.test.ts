// Redaction of secrets in URLs, input → expected: userinfo and secret query values go, everything
// else is kept as written; a URL's userinfo becomes the Basic Authorization header fetch needs.

import { describe, expect, it } from 'vitest';
import { isSecretKey, redactText, redactUrl, splitCredentials } from '../../src/core/redact.js';

describe('redactUrl keeps a URL readable and drops its secrets', () => {
  it.each([
    ['no secret: unchanged', 'https://hooks.example.com/a/b?page=2', 'https://hooks.example.com/a/b?page=2'],
    ['user and password', 'http://user:pw@h.example/x', 'http://***@h.example/x'],
    ['a user alone (often a token)', 'https://ghp_abc@github.example/x', 'https://***@github.example/x'],
    ['a password alone', 'http://:pw@h/', 'http://***@h/'],
    ['userinfo and a token', 'http://u:pw@h/x?token=abc&page=2', 'http://***@h/x?token=***&page=2'],
    [
      'secret-looking keys, any spelling',
      'https://h/x?api_key=1&apiKey=2&X-Amz-Signature=3&sig=4&access_token=5&client_secret=6&password=7',
      'https://h/x?api_key=***&apiKey=***&X-Amz-Signature=***&sig=***&access_token=***&client_secret=***&password=***',
    ],
    [
      'keys that only look alike: kept',
      'https://h/x?monkey=1&author=2&keys=3&signed=4',
      'https://h/x?monkey=1&author=2&keys=3&signed=4',
    ],
    ['a percent-encoded key', 'https://h/x?api%5Fkey=1', 'https://h/x?api%5Fkey=***'],
    ['other values kept as written', 'https://h/x?q=a%20b&token=x', 'https://h/x?q=a%20b&token=***'],
    ['a key with no value', 'https://h/x?token', 'https://h/x?token'],
    [
      'a token in the fragment',
      'https://h/cb#access_token=abc&state=ok',
      'https://h/cb#access_token=***&state=ok',
    ],
    ['a password the parser refuses', 'http://user:pa/ss@host/x', 'http://***@host/x'],
    ['not a URL', 'not a url', 'not a url'],
  ])('%s', (_, input, expected) => {
    expect(redactUrl(input)).toBe(expected);
  });
});

describe('redactText redacts every URL inside free text', () => {
  it.each([
    ['no URL', 'exited 3: cache dump failed', 'exited 3: cache dump failed'],
    [
      'a shell command',
      "curl -fsS -X POST 'http://u:pw@h:8080/hook?token=t' && echo ok",
      "curl -fsS -X POST 'http://***@h:8080/hook?token=***' && echo ok",
    ],
    [
      'two URLs, punctuation after them kept',
      'tried http://u:pw@a/x?sig=1. and (https://b:c@d/e)',
      'tried http://***@a/x?sig=***. and (https://***@d/e)',
    ],
    [
      'a URL with nothing to hide',
      'see https://example.com/docs, then',
      'see https://example.com/docs, then',
    ],
    [
      "fetch's error quoting the URL",
      'Request cannot be constructed from a URL that includes credentials: http://user:S3cr@127.0.0.1:1/a?token=x',
      'Request cannot be constructed from a URL that includes credentials: http://***@127.0.0.1:1/a?token=***',
    ],
  ])('%s', (_, input, expected) => {
    expect(redactText(input)).toBe(expected);
  });
});

describe('splitCredentials turns userinfo into a Basic Authorization header', () => {
  const basic = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;
  it.each([
    ['no userinfo: unchanged', 'http://h/x?token=t', { url: 'http://h/x?token=t' }],
    [
      'user and password; the query kept for the receiver',
      'http://user:pw@h/x?token=t',
      { url: 'http://h/x?token=t', authorization: basic('user:pw') },
    ],
    [
      'percent-encoded, sent decoded',
      'http://us%40er:p%3Ass@h/',
      { url: 'http://h/', authorization: basic('us@er:p:ss') },
    ],
    ['a user alone', 'https://tok@h/', { url: 'https://h/', authorization: basic('tok:') }],
    ['not a URL: unchanged', 'http://user:pa/ss@host', { url: 'http://user:pa/ss@host' }],
  ])('%s', (_, input, expected) => {
    expect(splitCredentials(input)).toEqual(expected);
  });
});

describe('isSecretKey', () => {
  it.each([
    ['token', true],
    ['AccessToken', true],
    ['x-api-key', true],
    ['apikey', true],
    ['sessionid', true],
    ['auth', true],
    ['page', false],
    ['author', false],
    ['keys', false],
  ])('%s → %s', (key, expected) => {
    expect(isSecretKey(key)).toBe(expected);
  });
});
