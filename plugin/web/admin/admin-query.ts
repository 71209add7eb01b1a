import type { Request } from 'express';
import { STORABLE_DAYS, storableBound } from '../../domain/time-zone';
import { BadRequestError, NotFoundError, type FieldProblem } from '../../errors';

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Reads a list page's query: each getter returns undefined for an absent or empty value (an
 * untouched filter form) and notes a bad one; `done()` throws one 400 naming every bad field.
 */
export class QueryReader {
  private readonly problems: FieldProblem[] = [];

  constructor(private readonly req: Request) {}

  text(name: string, max = 190): string | undefined {
    const v = this.req.query[name];
    if (v === undefined || v === '') return undefined;
    if (typeof v !== 'string') return this.bad(name, 'must be given once');
    const trimmed = v.trim();
    if (trimmed.length > max) return this.bad(name, `must be at most ${max} characters`);
    return trimmed === '' ? undefined : trimmed;
  }

  oneOf<T extends string>(name: string, choices: readonly T[]): T | undefined {
    const v = this.text(name);
    if (v === undefined) return undefined;
    return (choices as readonly string[]).includes(v) ? (v as T) : this.bad(name, `must be one of ${choices.join(', ')}`);
  }

  /** A keyset cursor: a positive id. */
  id(name: string): number | undefined {
    const v = this.text(name);
    if (v === undefined) return undefined;
    return /^[1-9]\d{0,15}$/.test(v) ? Number(v) : this.bad(name, 'must be a positive integer');
  }

  /**
   * A `YYYY-MM-DD` day (one of STORABLE_DAYS) as midnight UTC; `end` gives the next midnight, an
   * exclusive bound, capped at what the database stores (the day after 9999-12-31 is no DATETIME,
   * and MySQL would match nothing).
   */
  day(name: string, end = false): Date | undefined {
    const v = this.text(name);
    if (v === undefined) return undefined;
    const d = DAY.test(v) && v >= STORABLE_DAYS.first && v <= STORABLE_DAYS.last ? new Date(`${v}T00:00:00Z`) : null;
    if (!d || Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== v) return this.bad(name, `must be a date written YYYY-MM-DD, from ${STORABLE_DAYS.first} to ${STORABLE_DAYS.last}`);
    return end ? storableBound(new Date(d.getTime() + 86_400_000)) : d;
  }

  /** The raw values echoed back into the filter form. */
  values(names: readonly string[]): Record<string, string> {
    return Object.fromEntries(names.map((n) => [n, typeof this.req.query[n] === 'string' ? (this.req.query[n] as string) : '']));
  }

  done(): void {
    if (this.problems.length > 0) {
      throw new BadRequestError('invalid_query', { message: `Invalid query: ${this.problems.map((f) => `${f.path} ${f.message}`).join('; ')}`, fields: this.problems, headline: 'admin.error.invalid_filter', help: 'Fix the filter and search again.' });
    }
  }

  private bad(path: string, message: string): undefined {
    this.problems.push({ path, message });
    return undefined;
  }
}

/** A route parameter that must be one of our ids; anything else is a page that doesn't exist. */
export function idParam(value: unknown): number {
  if (typeof value !== 'string' || !/^[1-9]\d{0,15}$/.test(value)) throw new NotFoundError('not_found', { message: 'No such page' });
  return Number(value);
}
