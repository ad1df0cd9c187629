import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson, contentHash } from '../../src/contracts/canonical-json.js';

describe('Contracts > canonicalJson', () => {
  it('sorts object keys by UTF-16 code units at every depth and drops undefined members', () => {
    const value = { b: 1, a: { z: [1, 'x', null], y: undefined, é: true, Z: false }, '': 'empty' };
    expect(canonicalJson(value)).toBe('{"":"empty","a":{"Z":false,"z":[1,"x",null],"é":true},"b":1}');
  });

  it('writes undefined array items as null, as JSON.stringify does', () => {
    expect(canonicalJson([undefined, 1, []])).toBe('[null,1,[]]');
    expect(canonicalJson({})).toBe('{}');
    expect(canonicalJson({ a: undefined })).toBe('{}');
  });

  it('escapes keys and strings like JSON.stringify', () => {
    const value = { 'a"b': 'line\nbreak', '\u2028': 'x' };
    expect(JSON.parse(canonicalJson(value))).toEqual(value);
    expect(canonicalJson(value)).toBe(JSON.stringify({ 'a"b': 'line\nbreak', '\u2028': 'x' }));
  });

  it('gives equal text and hash for deep-equal values built in another key order', () => {
    const one = { kind: 'ConfigMap', metadata: { name: 'n', labels: { b: '2', a: '1' } }, data: { k: 'v' } };
    const two = { data: { k: 'v' }, metadata: { labels: { a: '1', b: '2' }, name: 'n' }, kind: 'ConfigMap' };
    expect(canonicalJson(one)).toBe(canonicalJson(two));
    expect(contentHash(one)).toBe(contentHash(two));
    expect(canonicalJson(Object.assign(Object.create(null), { b: 1, a: 2 }))).toBe('{"a":2,"b":1}');
  });

  it('hashes the canonical text with sha256, as hex', () => {
    expect(contentHash({ b: 1, a: [1] })).toBe(createHash('sha256').update('{"a":[1],"b":1}').digest('hex'));
  });

  it('refuses what has no stable JSON text', () => {
    expect(() => canonicalJson(Number.NaN)).toThrow(TypeError);
    expect(() => canonicalJson({ a: 1n })).toThrow(/a bigint has no JSON form/);
    expect(() => canonicalJson({ a: Buffer.from('x') })).toThrow(/a Buffer has no JSON form/);
  });
});
