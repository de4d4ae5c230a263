"""The floor's tables (bench/bench_register_ratio.py creates them in a fresh database)."""

SCHEMA = """
CREATE SEQUENCE floor_number;
CREATE TABLE floor_ticket (id bigserial PRIMARY KEY, number varchar(20) UNIQUE NOT NULL,
  channel varchar(16) NOT NULL, external_ref varchar(64), appeal_type varchar(16) NOT NULL,
  title varchar(200) NOT NULL, content text NOT NULL, citizen_name varchar(64) NOT NULL,
  citizen_phone varchar(20) NOT NULL, region varchar(12) NOT NULL, address varchar(200) NOT NULL,
  status varchar(20) NOT NULL, created_at timestamptz NOT NULL,
  UNIQUE (channel, external_ref));
CREATE TABLE floor_event (id bigserial PRIMARY KEY, ticket_id bigint NOT NULL
  REFERENCES floor_ticket DEFERRABLE INITIALLY DEFERRED, seq int NOT NULL, action varchar(32)
  NOT NULL, data jsonb NOT NULL, created_at timestamptz NOT NULL, UNIQUE (ticket_id, seq));
CREATE TABLE floor_outbox (id bigserial PRIMARY KEY, ticket_id bigint NOT NULL
  REFERENCES floor_ticket DEFERRABLE INITIALLY DEFERRED, event_id bigint NOT NULL UNIQUE
  REFERENCES floor_event DEFERRABLE INITIALLY DEFERRED, topic varchar(48) NOT NULL,
  payload jsonb NOT NULL, created_at timestamptz NOT NULL);
"""
