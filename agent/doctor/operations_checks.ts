/**
 * @module The doctor's checks of automation and operations: cron jobs, device pairings,
 * backups, the Telegram channel, and the speech engine behind `tts.voices`.
 */

import { parseSchedule } from "../cron/cron_schedule.ts";
import { CronStore } from "../cron/cron_store.ts";
import { DeviceStore } from "../devices/device_store.ts";
import { listBackups } from "../backups/backup_store.ts";
import { TelegramApi, TelegramApiError } from "../channels/telegram_api.ts";
import { listVoices } from "../tts/voices.ts";
import type { DoctorCheck, DoctorInput } from "./doctor_types.ts";

/** Saved cron jobs load, and every schedule still parses. */
export async function checkCron(input: DoctorInput): Promise<DoctorCheck> {
  const base = { id: "cron.jobs", name: "Cron jobs" };
  let jobs;
  try {
    jobs = await new CronStore(input.paths.cronDir).loadJobs();
  } catch (error) {
    return {
      ...base,
      status: "fail",
      message: (error as Error).message,
      hint: "Restore cron/ from a backup (pyclaw backup restore) or move the file aside",
    };
  }
  const bad = jobs.filter((job) => {
    try {
      parseSchedule(job.cron, job.timezone ?? input.config?.cron.timezone, {
        anchor: new Date(job.createdAt),
        requireFuture: false,
      });
      return false;
    } catch {
      return true;
    }
  });
  if (bad.length) {
    return {
      ...base,
      status: "warn",
      message: `Not scheduled (invalid expression or timezone): ${bad.map((j) => j.id).join(", ")}`,
      hint: "Remove them with cron.remove and add them again",
    };
  }
  const paused = input.config?.cron.enabled === false ? " (cron.enabled is false: paused)" : "";
  return { ...base, status: "ok", message: `${jobs.length} job(s)${paused}` };
}

/** The pairings file is readable; a damaged one locks every paired device out. */
export async function checkDevices(input: DoctorInput): Promise<DoctorCheck> {
  const base = { id: "devices.pairings", name: "Paired devices" };
  try {
    const devices = await new DeviceStore(input.paths.pairingsFile).list();
    return { ...base, status: "ok", message: `${devices.length} paired device(s)` };
  } catch (error) {
    return {
      ...base,
      status: "fail",
      message: `${input.paths.pairingsFile} is unreadable: ${(error as Error).message}`,
      hint: "Paired devices cannot connect; restore it from a backup or remove it and pair again",
    };
  }
}

/** How many backups there are and how old the newest is. */
export async function checkBackups(input: DoctorInput): Promise<DoctorCheck> {
  const base = { id: "backups", name: "Backups" };
  const backups = await listBackups(input.paths);
  if (!backups.length) {
    return {
      ...base,
      status: "ok",
      message: "No backups yet",
      hint: "pyclaw backup export (or backup.export) writes one",
    };
  }
  const days = Math.floor((Date.now() - Date.parse(backups[0].createdAt)) / 86_400_000);
  return {
    ...base,
    status: "ok",
    message: `${backups.length} backup(s); the newest is ${days} day(s) old: ${backups[0].path}`,
  };
}

/** When Telegram is configured: a token is set and the Bot API accepts it. */
export async function checkTelegram(input: DoctorInput): Promise<DoctorCheck[]> {
  const telegram = input.config?.channels.telegram;
  if (!telegram || !telegram.enabled) return [];
  const base = { id: "channels.telegram", name: "Telegram channel" };
  if (!telegram.botToken) {
    return [{
      ...base,
      status: "fail",
      message: "channels.telegram is enabled but has no botToken",
      hint: 'Set channels.telegram.botToken (e.g. "${TELEGRAM_BOT_TOKEN}") or enabled: false',
    }];
  }
  try {
    const me = await new TelegramApi(telegram.apiBaseUrl, telegram.botToken)
      .getMe(AbortSignal.timeout(3_000));
    return [{ ...base, status: "ok", message: `Bot API answers as @${me.username ?? "bot"}` }];
  } catch (error) {
    const rejected = error instanceof TelegramApiError && error.permanent;
    return [{
      ...base,
      status: rejected ? "fail" : "warn",
      message: rejected
        ? "The Bot API rejects the bot token"
        : `Bot API unreachable: ${error instanceof TelegramApiError ? error.message : "timed out"}`,
      hint: rejected
        ? "Get a new token from @BotFather and update channels.telegram.botToken"
        : `Check the network path to ${telegram.apiBaseUrl}`,
    }];
  }
}

/** A speech engine answers, so `tts.voices` has something to list. */
export async function checkSpeech(_input: DoctorInput): Promise<DoctorCheck> {
  const base = { id: "tts.engine", name: "Speech engine" };
  const result = await listVoices(undefined, 3_000);
  if (result.engine) {
    return { ...base, status: "ok", message: `${result.engine}: ${result.count} voice(s)` };
  }
  return { ...base, status: "warn", message: result.reason ?? "No speech engine found" };
}
