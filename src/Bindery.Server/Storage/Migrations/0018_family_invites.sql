-- Family invitations (docs/accounts-and-homes.md, "Family membership"), one table for both dialects:
--  * addressed: invitee_user_id set, token_hash NULL. Only the invitee can accept or refuse it (Quectel
--    familyMemberInviteHandle by fid, Tencent AppJoinFamily with the handle share_fm_<invite_id>).
--  * bearer share token: invitee_user_id NULL, token_hash = SHA-256 hex of the secret of
--    share_fm_<invite_id>_<secret>; whoever of the family's user domain presents the whole token first joins.
-- A row is deleted when it is accepted, refused, or its family deleted (single use: the DELETE decides a race);
-- expired rows are invisible (every read filters on expires_at) and removed when the family next invites.
CREATE TABLE family_invites (
    invite_id       TEXT PRIMARY KEY,
    fid             TEXT NOT NULL REFERENCES families (fid) ON DELETE CASCADE,
    inviter_user_id TEXT NOT NULL REFERENCES users (id),
    invitee_user_id TEXT NULL REFERENCES users (id),
    token_hash      TEXT NULL,
    role            INTEGER NOT NULL,           -- 2 admin, 3 regular member (never 1)
    member_name     TEXT NULL,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL
);
CREATE INDEX ix_family_invites_fid ON family_invites (fid);
CREATE INDEX ix_family_invites_invitee ON family_invites (invitee_user_id);
-- At most one invitation per (family, invitee): a second one answers 5653 until the first is handled or expires.
CREATE UNIQUE INDEX ux_family_invites_addressed ON family_invites (fid, invitee_user_id) WHERE invitee_user_id IS NOT NULL;

-- The member's name in the family (inviteFamilyMember / setFamilyMemberName memberName); NULL = their nickname or username.
ALTER TABLE family_members ADD COLUMN member_name TEXT NULL;
