-- What an app user may set about themselves (Tencent-style AppUpdateUser): a display name and an avatar URL.
ALTER TABLE users ADD COLUMN nickname TEXT NULL;
ALTER TABLE users ADD COLUMN avatar_url TEXT NULL;
