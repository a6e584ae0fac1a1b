package io.pgingest.it;

import io.pgingest.source.logical.ReplicationNames;
import io.pgingest.testsupport.TestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The connection check, {@code --check [PIPELINE]}, of the real application against the real server: a user who may
 * do everything, a user without the privileges a pipeline needs (each problem named with the SQL that fixes it), an
 * unreachable server, a missing database, a bad query mode. It only reads: no slot and no publication appear.
 */
class ConnectionCheckIT {

    @TempDir
    Path tmp;

    private TestDatabase db;
    private PipelineRun run;
    private String role;

    @BeforeEach
    void setUp() throws Exception {
        db = TestDatabase.create("check");
        db.execute("CREATE TABLE items (id int PRIMARY KEY, name text, changed_at timestamptz)",
                "CREATE TABLE secret (id int PRIMARY KEY)", "CREATE VIEW items_view AS SELECT * FROM items");
        run = new PipelineRun(tmp);
        role = "chk_" + db.suffix();
        admin("CREATE ROLE " + role + " LOGIN");
    }

    @AfterEach
    void tearDown() throws SQLException {
        db.close();
        admin("DROP ROLE IF EXISTS " + role);
    }

    @Test
    void aPipelineWhoseUserMayDoEverythingPassesAndNothingIsCreated() throws Exception {
        String name = "ok_" + db.suffix();
        run.pipeline(name, db, "mode", "logical-replication");
        PipelineRun.Output out = run.command("--check");
        assertThat(out.exitCode()).as(out.stdout() + out.stderr()).isZero();
        assertThat(out.stdout()).contains("pipeline " + name + " (logical-replication, ")
                .contains("ok    wal_level = logical").contains("ok    user " + TestDatabase.USER + " may replicate")
                .contains("will be created").contains("ok    2 table(s) selected").contains("check passed")
                .contains("ok    connections: concurrentObjects 4 reads up to 4 object(s) at once")
                .doesNotContain("FAIL");
        assertThat(PipelineRun.pg(db, "SELECT count(*) FROM pg_replication_slots WHERE database = '" + db.name() + "'"))
                .as("the check creates no slot").containsExactly(java.util.List.of(0L));
        assertThat(PipelineRun.pg(db, "SELECT count(*) FROM pg_publication")).as("nor a publication")
                .containsExactly(java.util.List.of(0L));
    }

    @Test
    void aUserWithoutThePrivilegesGetsOneLinePerProblemWithTheFix() throws Exception {
        db.execute("GRANT SELECT ON items TO " + role);
        String name = "restricted_" + db.suffix();
        run.pipeline(name, db, "mode", "logical-replication", "user", role, "password", "");
        PipelineRun.Output out = run.command("--check", name);
        assertThat(out.exitCode()).as(out.stdout() + out.stderr()).isEqualTo(1);
        assertThat(out.stdout())
                .contains("FAIL  user " + role + " has no replication privilege; fix: ALTER ROLE " + role + " WITH REPLICATION;")
                .contains("may not read 1 selected table(s) (public.secret); fix: GRANT SELECT ON public.secret TO " + role + ";")
                .contains("may not create it; fix: GRANT CREATE ON DATABASE")
                .contains("does not own 2 selected table(s)")
                .contains("check FAILED: 4 problem(s)");

        // the fixes it named, applied as an administrator, make the check pass
        db.execute("ALTER ROLE " + role + " WITH REPLICATION", "GRANT SELECT ON secret TO " + role,
                "CREATE PUBLICATION " + ReplicationNames.slot(name) + " FOR TABLE items, secret");
        PipelineRun.Output fixed = run.command("--check", name);
        assertThat(fixed.exitCode()).as(fixed.stdout() + fixed.stderr()).isZero();
        assertThat(fixed.stdout()).contains("ok    publication " + ReplicationNames.slot(name) + " exists");
    }

    /** A role allowed fewer connections than concurrentObjects: a warning with the number to set (loads still run). */
    @Test
    void aConnectionLimitBelowConcurrentObjectsIsAWarningThatSaysWhatToSet() throws Exception {
        db.execute("GRANT SELECT ON items, secret TO " + role, "ALTER ROLE " + role + " CONNECTION LIMIT 2");
        String name = "limited_" + db.suffix();
        run.pipeline(name, db, "user", role, "password", "", "concurrentObjects", "4");
        PipelineRun.Output out = run.command("--check", name);
        assertThat(out.exitCode()).as("a warning only: " + out.stdout() + out.stderr()).isZero();
        assertThat(out.stdout()).contains("WARN  connections: concurrentObjects 4 reads up to 4 object(s) at once, each on a"
                + " connection of its own, but the CONNECTION LIMIT of role " + role + " (2 free now) allows 2")
                .contains("fix: lower concurrentObjects to 2");

        run.pipeline(name, db, "user", role, "password", "", "concurrentObjects", "2");
        assertThat(run.command("--check", name).stdout()).contains("ok    connections: concurrentObjects 2");
    }

    @Test
    void anUnreachableServerAndAMissingDatabaseFailWithWhatToCheck() throws Exception {
        run.pipeline("nowhere", db, "port", "1");
        run.pipeline("nodb", db, "database", db.name() + "_missing");
        PipelineRun.Output out = run.command("--check");
        assertThat(out.exitCode()).as(out.stdout() + out.stderr()).isEqualTo(1);
        assertThat(out.stdout()).contains("FAIL  cannot connect to PostgreSQL").contains("fix: check 'host' and 'port'")
                .contains("does not exist; fix: check 'database'").contains("check FAILED: 2 problem(s)");
    }

    @Test
    void tableModeChecksTheNamedObjectsAndTheirQueryModes() throws Exception {
        run.pipeline("polled", db, "objects", "items: delta-timestamp(no_such_column)\nitems_view: full-load");
        PipelineRun.Output out = run.command("--check", "polled");
        assertThat(out.exitCode()).as(out.stdout() + out.stderr()).isEqualTo(1);
        assertThat(out.stdout()).contains("items_view").contains("no_such_column").doesNotContain("replication");

        PipelineRun.Output unknown = run.command("--check", "no_such_pipeline");
        assertThat(unknown.exitCode()).isEqualTo(2);
        assertThat(unknown.stderr()).contains("no pipeline named 'no_such_pipeline'").contains("polled");
    }

    private static void admin(String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(TestDatabase.url("postgres"), TestDatabase.USER, TestDatabase.PASSWORD);
             Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }
}
