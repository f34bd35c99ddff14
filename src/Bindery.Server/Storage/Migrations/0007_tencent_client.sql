-- Issue 11: the Tencent answer envelope a user domain's apps read (NULL = the deployment's Tencent:Envelope),
-- and the family a used bind token bound into (so a retried bind by the same user answers success again).
ALTER TABLE user_domains ADD COLUMN tencent_envelope TEXT NULL;
ALTER TABLE bind_tokens ADD COLUMN fid TEXT NULL;
