-- Room names are unique within a family, so "move to Kitchen" is never ambiguous.
CREATE UNIQUE INDEX ux_rooms_family_name ON rooms (fid, name);

-- Family device lists and the room filter read bindings by family and room.
CREATE INDEX ix_bindings_family_device ON bindings (fid, pk, dk);
