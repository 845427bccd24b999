BEGIN TRANSACTION;
CREATE TABLE relay_bindings (
        subscriber TEXT NOT NULL,
        endpoint TEXT NOT NULL,
        PRIMARY KEY (subscriber, endpoint));
INSERT INTO "relay_bindings" VALUES('desk1','acme');
CREATE TABLE relay_dedup (
        endpoint TEXT NOT NULL,
        activity_key TEXT NOT NULL,
        seen_at REAL NOT NULL,
        PRIMARY KEY (endpoint, activity_key));
INSERT INTO "relay_dedup" VALUES('acme','1',1759100001.0);
INSERT INTO "relay_dedup" VALUES('acme','2',1759100002.0);
INSERT INTO "relay_dedup" VALUES('acme','3',1759100003.0);
INSERT INTO "relay_dedup" VALUES('acme','4',1759100004.0);
INSERT INTO "relay_dedup" VALUES('acme','5',1759100005.0);
CREATE TABLE relay_endpoints (
        name TEXT PRIMARY KEY,
        secret_hash TEXT NOT NULL,
        old_secret_hash TEXT,
        old_secret_expires REAL,
        created_at REAL NOT NULL);
INSERT INTO "relay_endpoints" VALUES('acme','a1f9bd948060006bedeb8583a24378547bddbcda710ae2857210104d519781c6',NULL,NULL,1796314299.02946);
CREATE TABLE relay_events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        endpoint TEXT NOT NULL,
        activity_key TEXT,
        received_at REAL NOT NULL,
        payload TEXT NOT NULL);
INSERT INTO "relay_events" VALUES(2,'acme','2',1759100002.0,'{"id":2,"message":"event 2"}');
INSERT INTO "relay_events" VALUES(3,'acme','3',1759100003.0,'{"id":3,"message":"event 3"}');
INSERT INTO "relay_events" VALUES(4,'acme','4',1759100004.0,'{"id":4,"message":"event 4"}');
INSERT INTO "relay_events" VALUES(5,'acme','5',1759100005.0,'{"id":5,"message":"event 5"}');
CREATE TABLE relay_forward_targets (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        url TEXT NOT NULL UNIQUE,
        created_at REAL NOT NULL);
INSERT INTO "relay_forward_targets" VALUES(1,'https://siem.example/in',1.79631429903279256823e+09);
CREATE TABLE relay_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT INTO "relay_meta" VALUES('pruned_through',1);
INSERT INTO "relay_meta" VALUES('bindings_v1',1);
CREATE TABLE relay_outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        seq INTEGER NOT NULL,
        target_id INTEGER NOT NULL,
        attempts INTEGER NOT NULL,
        next_attempt_at REAL NOT NULL,
        last_error TEXT);
INSERT INTO "relay_outbox" VALUES(2,2,1,0,1759100002.0,NULL);
INSERT INTO "relay_outbox" VALUES(3,3,1,0,1759100003.0,NULL);
INSERT INTO "relay_outbox" VALUES(4,4,1,0,1759100004.0,NULL);
INSERT INTO "relay_outbox" VALUES(5,5,1,0,1759100005.0,NULL);
CREATE TABLE relay_subscribers (
        name TEXT PRIMARY KEY,
        token_hash TEXT NOT NULL,
        revoked_at REAL,
        created_at REAL NOT NULL);
INSERT INTO "relay_subscribers" VALUES('desk1','473cf67168af371fd897a665da403ca1e375af860c01ef0908f2967d178d0c58',NULL,1.79631429903056669236e+09);
CREATE INDEX relay_events_received ON relay_events(received_at);
CREATE INDEX relay_dedup_seen ON relay_dedup(seen_at);
CREATE INDEX relay_outbox_due ON relay_outbox(next_attempt_at);
CREATE INDEX relay_outbox_seq ON relay_outbox(seq);
DELETE FROM "sqlite_sequence";
INSERT INTO "sqlite_sequence" VALUES('relay_forward_targets',1);
INSERT INTO "sqlite_sequence" VALUES('relay_events',5);
INSERT INTO "sqlite_sequence" VALUES('relay_outbox',5);
COMMIT;
