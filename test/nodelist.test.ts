import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatNodeList, parseNodeList } from '../src/model/nodelist.js';

test('parses the kernel node list format', () => {
  assert.equal(parseNodeList('0-1,4'), [0, 1, 4]);
  assert.equal(parseNodeList(''), []);
  assert.equal(parseNodeList('2\n'), [2]);
});

test('rejects what is not a node list', () => {
  assert.is(parseNodeList('1-'), undefined);
  assert.is(parseNodeList('3-1'), undefined);
  assert.is(parseNodeList('a'), undefined);
  assert.is(parseNodeList('0-99999999'), undefined);
});

test('formats with ranges collapsed', () => {
  assert.is(formatNodeList([5, 0, 1, 2]), '0-2,5');
});

test.run();
