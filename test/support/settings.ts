import { loadSettings, SettingsError } from '../../src/settings.js';

/** The SettingsError loading `env` stops with (the test fails when the settings load). */
export function settingsError(env: Record<string, string>): SettingsError {
  try {
    loadSettings(env);
  } catch (error) {
    expect(error).toBeInstanceOf(SettingsError);
    return error as SettingsError;
  }
  throw new Error('the settings loaded');
}
