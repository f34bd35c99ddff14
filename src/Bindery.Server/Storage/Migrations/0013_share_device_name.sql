-- The name a share's recipient gives the shared device when accepting it (shareDevice?shareCode&deviceName);
-- NULL shows the sharer's device name.
ALTER TABLE device_shares ADD COLUMN device_name TEXT NULL;
