import { describe, expect, it } from 'vitest';
import { parseExposition, parseSampleValue } from '../../src/sources/exposition.js';

const values = (text: string, name: string) => parseExposition(text).byName.get(name)?.map((s) => s.value);

describe('the Prometheus text exposition parser', () => {
  it('reads HELP and TYPE, and ignores other comments and blank lines', () => {
    const e = parseExposition(
      [
        '# HELP http_requests_total The total number of requests.\\nSecond line with \\\\ backslash.',
        '# TYPE http_requests_total counter',
        '# a free comment',
        '',
        'http_requests_total{method="post",code="200"} 1027',
        '   ',
      ].join('\n'),
    );
    expect(e.types.get('http_requests_total')).toBe('counter');
    expect(e.help.get('http_requests_total')).toBe('The total number of requests.\nSecond line with \\ backslash.');
    expect(e.sampleCount).toBe(1);
    expect(e.malformed.count).toBe(0);
  });

  it('reads labels with escaped quotes, backslashes and newlines, and a trailing comma', () => {
    const e = parseExposition('msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\"",} 1.458255915e9');
    const [sample] = e.byName.get('msdos_file_access_time_seconds')!;
    expect(sample!.labels).toEqual({ path: 'C:\\DIR\\FILE.TXT', error: 'Cannot find file:\n"FILE.TXT"' });
    expect(sample!.value).toBe(1.458255915e9);
  });

  it('keeps commas, braces and spaces inside label values', () => {
    const e = parseExposition('x{route="/a, {b} c"} 2');
    expect(e.byName.get('x')![0]!.labels).toEqual({ route: '/a, {b} c' });
  });

  it('reads +Inf, -Inf and NaN values and the +Inf bucket bound', () => {
    const text = ['a +Inf', 'b -Inf', 'c NaN', 'd{le="+Inf"} 7'].join('\n');
    expect(values(text, 'a')).toEqual([Infinity]);
    expect(values(text, 'b')).toEqual([-Infinity]);
    expect(values(text, 'c')![0]).toBeNaN();
    expect(parseExposition(text).byName.get('d')![0]!.labels.le).toBe('+Inf');
  });

  it('reads millisecond timestamps and OpenMetrics second timestamps', () => {
    const e = parseExposition(['a 1 1395066363000', 'b 2 1395066363.5', 'c 3 -1'].join('\n'));
    expect(e.byName.get('a')![0]!.timestamp).toBe(1395066363000);
    expect(e.byName.get('b')![0]!.timestamp).toBe(1395066363500);
    expect(e.byName.get('c')![0]!.timestamp).toBe(-1);
  });

  it('skips and counts malformed lines, remembering the first, and keeps every good line', () => {
    const e = parseExposition(
      [
        'good_one 1',
        'no_value',
        'bad{label="unterminated} 1',
        'good_two{a="b"} 2',
        'bad_value abc',
        'bad name 1',
        '# TYPE good_two nonsense',
        'dup{a="1",a="2"} 3',
        '9starts_with_digit 1',
        'good_three 3 123 extra',
      ].join('\n'),
    );
    expect([...e.byName.keys()]).toEqual(['good_one', 'good_two']);
    expect(e.malformed).toEqual({ count: 8, firstLine: 2 });
  });

  it('ignores OpenMetrics exemplars and # EOF, and tolerates CRLF line ends and a BOM', () => {
    const e = parseExposition('\uFEFFfoo_bucket{le="0.5"} 3 # {trace_id="abc"} 0.3 1.6e9\r\nbar 4\r\n# EOF\r\n');
    expect(values('\uFEFFfoo 1', 'foo')).toEqual([1]);
    expect(e.byName.get('foo_bucket')![0]!.value).toBe(3);
    expect(e.byName.get('bar')![0]!.value).toBe(4);
    expect(e.malformed.count).toBe(0);
  });

  it('reads the quoted UTF-8 metric names of newer exporters', () => {
    const e = parseExposition('{"http.server.duration", method="GET"} 5');
    expect(e.byName.get('http.server.duration')![0]!.labels).toEqual({ method: 'GET' });
  });

  it('keeps every sample of a name in order, whatever labels they carry', () => {
    expect(values('x{a="1"} 1\ny 9\nx{a="2"} 2\nx 3', 'x')).toEqual([1, 2, 3]);
  });

  it('accepts the value spellings Go writes and refuses what Number() would wrongly accept', () => {
    expect(parseSampleValue('1e-3')).toBe(0.001);
    expect(parseSampleValue('-.5')).toBe(-0.5);
    expect(parseSampleValue('+Inf')).toBe(Infinity);
    expect(parseSampleValue('Infinity')).toBe(Infinity);
    expect(parseSampleValue('-inf')).toBe(-Infinity);
    expect(parseSampleValue('nan')).toBeNaN();
    for (const bad of ['', ' ', '0x10', '1,5', 'abc', '1e', '--1']) expect(parseSampleValue(bad)).toBeUndefined();
  });
});
