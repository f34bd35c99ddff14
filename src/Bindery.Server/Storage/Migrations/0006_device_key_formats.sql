-- What a product's device keys look like (docs/data-model.md): 'imei-or-mac' (IMEI or MAC, stored normalised; the
-- rule of every product so far), 'custom' (Quectel custom DK, 1-16 of [A-Za-z0-9]) or 'tencent' (Tencent device name,
-- 1-48 of [A-Za-z0-9:_-]); the latter two are stored and compared exactly. Changes only while the product has no devices.
ALTER TABLE products ADD COLUMN device_key_format TEXT NOT NULL DEFAULT 'imei-or-mac';
