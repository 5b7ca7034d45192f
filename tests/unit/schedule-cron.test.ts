// The cron reader must give the values the Temporal server's parser gives (cases from the
// server's calendar_test.go), or ensureSchedule would see a difference on every boot.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CronSyntaxError, expandRanges, parseCronExpression } from '../../api/schedules/cron.ts';

const range = (from: number, to: number, step = 1) => {
  const values = [];
  for (let value = from; value <= to; value += step) values.push(value);
  return values;
};

describe('parseCronExpression', () => {
  it('reads a 5-field expression with the server defaults for seconds and year', () => {
    assert.deepEqual(parseCronExpression('5,9 */2 * * *'), {
      second: [0],
      minute: [5, 9],
      hour: range(0, 22, 2),
      dayOfMonth: range(1, 31),
      month: range(1, 12),
      dayOfWeek: range(0, 6),
      year: '*',
      comment: '',
    });
  });

  it('reads 7 fields, names, a step from a start value and a comment', () => {
    assert.deepEqual(parseCronExpression('55 55,57 5 2/2 * wed-thurs *  # explanation'), {
      second: [55],
      minute: [55, 57],
      hour: [5],
      dayOfMonth: range(2, 30, 2),
      month: range(1, 12),
      dayOfWeek: [3, 4],
      year: '*',
      comment: 'explanation',
    });
  });

  it('reads a 6th field as the year, and month names by prefix', () => {
    const calendar = parseCronExpression('30 12 1 Sept,DEC * 2030');
    assert.deepEqual([calendar.minute, calendar.hour, calendar.month, calendar.year], [[30], [12], [9, 12], [2030]]);
  });

  it('expands the shorthands as the server does', () => {
    assert.deepEqual(parseCronExpression('@monthly'), parseCronExpression('0 0 1 * *'));
    assert.deepEqual(parseCronExpression('@weekly').dayOfWeek, [0]);
    assert.deepEqual(parseCronExpression('@hourly').minute, [0]);
    assert.deepEqual(parseCronExpression('@hourly').hour, range(0, 23));
    assert.deepEqual(parseCronExpression('@daily # nightly'), {
      ...parseCronExpression('0 0 * * *'),
      comment: 'nightly',
    });
  });

  it('gives the same values for different ways of writing them', () => {
    assert.deepEqual(parseCronExpression('*/15 * * * *'), parseCronExpression('0,15,30,45 * * * *'));
    assert.deepEqual(parseCronExpression('0-59/15 * * * *'), parseCronExpression('0/15 * * * *'));
    assert.deepEqual(parseCronExpression('0 9 * * MON-FRI'), parseCronExpression('0 9 * * 1-5'));
  });

  it("copies the server's Sunday rule for day-of-week ranges that run to the end", () => {
    // x/y runs to 7, which is Sunday: the server adds a 0 when 7 would be hit.
    assert.deepEqual(parseCronExpression('0 0 * * 1/2').dayOfWeek, [0, 1, 3, 5]);
    assert.deepEqual(parseCronExpression('0 0 * * */2').dayOfWeek, [0, 2, 4, 6]);
    assert.deepEqual(parseCronExpression('0 0 * * 2/1').dayOfWeek, [0, 2, 3, 4, 5, 6]);
  });

  it('refuses what Atrium declares another way, saying where it goes', () => {
    const refusals: [string, RegExp][] = [
      ['CRON_TZ=Europe/Paris 0 9 * * *', /"timezone"/],
      ['TZ=UTC 0 9 * * *', /"timezone"/],
      ['@every 5m', /"intervals"/],
      ['0 0 * * 7', /write 0 or SUN for Sunday/],
      ['0 0 * * 5-7', /write 0 or SUN for Sunday/],
    ];
    for (const [expression, message] of refusals) {
      assert.throws(
        () => parseCronExpression(expression),
        (error: unknown) => error instanceof CronSyntaxError && message.test(error.message),
        expression,
      );
    }
  });

  it('refuses malformed expressions, naming the field', () => {
    const refusals: [string, RegExp][] = [
      ['* * * *', /has 4 fields; write 5, 6 or 7/],
      ['1 2 3 4 5 6 7 8', /has 8 fields/],
      ['61 * * * *', /minute: "61" is not in 0–59/],
      ['0 0 1 1 * 1999', /year: "1999" is not in 2000–2100/],
      ['0 18-13 * * *', /hour: "13" is before 18 or is not in/],
      ['0 1-5-7 * * *', /hour: "1-5-7" has more than one "-"/],
      ['2/3/5 * * * *', /minute: "2\/3\/5" has more than one "\/"/],
      ['*/0 * * * *', /minute: "\*\/0" needs a whole step/],
      ['13, * * * *', /minute: "" is not a value/],
      ['0 0 * * funday', /dayOfWeek: "funday" is not a value \(a number or a name such as MON\)/],
      ['@fortnightly', /unknown shorthand/],
    ];
    for (const [expression, message] of refusals) {
      assert.throws(
        () => parseCronExpression(expression),
        (error: unknown) =>
          error instanceof CronSyntaxError && error.expression === expression && message.test(error.message),
        expression,
      );
    }
  });
});

describe('expandRanges', () => {
  it('reads ranges as the server evaluates them', () => {
    // An end before the start is the start alone; a step below 1 is 1; overlaps count once.
    assert.deepEqual(
      expandRanges([
        { start: 5, end: 0, step: 0 },
        { start: 1, end: 3, step: 0 },
        { start: 2, end: 10, step: 4 },
      ]),
      [1, 2, 3, 5, 6, 10],
    );
  });
});
