// What a StartOS backup keeps: chainprice's volume (the price history).
import { sdk } from './sdk';

export const { createBackup, restoreInit } = sdk.setupBackups(async () => sdk.Backups.ofVolumes('main'));
