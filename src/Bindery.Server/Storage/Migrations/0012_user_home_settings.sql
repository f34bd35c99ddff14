-- Per-user home settings (Quectel-style enabledFamilyMode / getCurrentFamily / setCurrentFamily).
-- family_mode NULL = the user never chose: the user domain's home_mode applies.
-- current_fid is not a foreign key: a family the user left or that was deleted simply stops being current
-- (checked against family_members when read), so deleting a family never has to touch other users' settings.
CREATE TABLE user_home_settings (
    user_id     TEXT PRIMARY KEY REFERENCES users (id),
    family_mode BOOLEAN NULL,
    current_fid TEXT NULL,
    updated_at  BIGINT NOT NULL
);

-- addFamily / setFamily carry a free-text location and "lng,lat" coordinates.
ALTER TABLE families ADD COLUMN location TEXT NULL;
ALTER TABLE families ADD COLUMN coordinates TEXT NULL;
