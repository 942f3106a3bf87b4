-- The relay no longer LISTENs: a NOTIFY makes every notifying commit on the
-- server take one global lock (held through the commit's WAL flush), which
-- serialised the commits of every service's event-writing transactions. The
-- relay of the writing process is woken in-process after the commit, and
-- polls (cheaply, through outbox_unpublished_idx) for rows other processes wrote.
DROP TRIGGER outbox_notify ON outbox;
DROP FUNCTION outbox_notify();
