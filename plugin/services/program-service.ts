import type { Database } from '../db/database';
import { ConfigError } from '../errors';
import { programFromSettings, programSettingsSchema, type Program, type ProgramSettings } from '../domain/program';

/** Settings are read by every event; a short cache keeps that off the hot path. */
const CACHE_MS = 5_000;

export class ProgramService {
  private cached: { program: Program; at: number } | null = null;

  constructor(
    private readonly db: Database,
    private readonly clock: () => Date,
  ) {}

  async init(): Promise<void> {
    await this.current();
  }

  async current(): Promise<Program> {
    const now = this.clock().getTime();
    if (this.cached && now - this.cached.at < CACHE_MS) return this.cached.program;
    const raw = await this.db.repos.settings.all();
    const parsed = programSettingsSchema.safeParse(raw);
    if (!parsed.success) {
      const where = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
      throw new ConfigError(`Program settings are invalid: ${where}`, 'Correct the row in loyalty_settings.');
    }
    const program = programFromSettings(parsed.data);
    this.cached = { program, at: now };
    return program;
  }

  /** Stores settings only where none exist yet, so a provider's own changes are never overwritten. */
  async seed(settings: ProgramSettings): Promise<void> {
    const valid = programSettingsSchema.parse(settings);
    await this.db.transaction(async (repos) => {
      for (const [key, value] of Object.entries(valid)) {
        if (value !== undefined) await repos.settings.setIfAbsent(key, value, this.clock());
      }
    });
    this.cached = null;
  }

  async update(settings: ProgramSettings): Promise<void> {
    const valid = programSettingsSchema.parse(settings);
    await this.db.transaction(async (repos) => {
      for (const [key, value] of Object.entries(valid)) {
        if (value !== undefined) await repos.settings.set(key, value, this.clock());
      }
    });
    this.cached = null;
  }
}
