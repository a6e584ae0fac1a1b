package io.pgingest.it;

import io.pgingest.testsupport.TestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * SSL to the source, against the local server that scripts/setup-postgres.sh configured: a certificate for
 * "localhost" signed by a test CA, and a role, pgingest_ssl_client, that may only log in over SSL with its client
 * certificate (pg_hba "cert"). A pipeline that loads the rows as that role therefore connected with SSL and its
 * certificate; one that verifies the server fails with the wrong CA or host name.
 */
class SslIT {

    static final Path SSL = Path.of(System.getenv().getOrDefault("PGINGEST_TEST_SSL_DIR", "/var/lib/postgresql/pgingest-test-ssl"));
    static final String CLIENT = "pgingest_ssl_client";

    @TempDir
    Path tmp;

    private TestDatabase db;
    private PipelineRun run;

    @BeforeEach
    void setUp() throws Exception {
        assertThat(SSL.resolve("ca.crt")).as("the SSL test files: run scripts/setup-postgres.sh first").exists();
        db = TestDatabase.create("ssl");
        db.execute("CREATE TABLE items (id int PRIMARY KEY, name text)",
                "INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 50) g",
                "GRANT SELECT ON items TO " + CLIENT);
        run = new PipelineRun(tmp);
    }

    @AfterEach
    void tearDown() {
        db.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '" + db.name() + "'");
        db.close();
    }

    @Test
    void theServerIsVerifiedAgainstTheCaAndTheHostName() throws Exception {
        assertLoads("verified", "host", "localhost", "ssl", "true", "sslCaFile", file("ca.crt"));

        PipelineRun.Result wrongCa = runOnce("wrong_ca", "host", "localhost", "ssl", "true", "sslCaFile", file("other-ca.crt"));
        assertThat(wrongCa.exitCode()).as(wrongCa.stderr()).isEqualTo(2);
        assertThat(wrongCa.stderr()).contains("pipeline 'wrong_ca'").contains("cannot connect")
                .contains("the server's certificate is not signed by a CA certificate of sslCaFile");

        PipelineRun.Result wrongHost = runOnce("wrong_host", "host", "127.0.0.1", "ssl", "true", "sslCaFile", file("ca.crt"));
        assertThat(wrongHost.exitCode()).as("the certificate names localhost, not 127.0.0.1: %s", wrongHost.stderr()).isEqualTo(2);
        assertThat(wrongHost.stderr()).contains("does not name host 127.0.0.1");
        assertLoads("no_host_check", "host", "127.0.0.1", "ssl", "true", "sslCaFile", file("ca.crt"), "sslVerifyHostname", "false");

        // SSL without a CA file: encrypted, the server not verified
        assertLoads("unverified", "host", "127.0.0.1", "ssl", "true");

        // the connection check says how the connection is protected
        clearRoutes();
        run.pipeline("checked", db, "host", "localhost", "ssl", "true", "sslCaFile", file("bundle.crt"));
        PipelineRun.Output check = run.command("--check");
        assertThat(check.stdout()).contains("FAIL  cannot connect").contains("not signed by a CA certificate of sslCaFile");
        clearRoutes();
        run.pipeline("checked", db, "host", "localhost", "ssl", "true", "sslCaFile", file("bundle.crt"),
                "sslLoadAllCaCertificates", "true");
        check = run.command("--check");
        assertThat(check.exitCode()).as(check.stdout()).isZero();
        assertThat(check.stdout()).contains("ok    SSL (TLS").contains("server verified (verify-full) against 2 of 2 certificate(s)");
    }

    @Test
    void aCaFileHoldingSeveralCertificatesTrustsTheFirstOnlyUnlessAllAreLoaded() throws Exception {
        // bundle.crt: another CA first, then the CA that signed the server's certificate
        PipelineRun.Result firstOnly = runOnce("first_only", "host", "localhost", "ssl", "true", "sslCaFile", file("bundle.crt"));
        assertThat(firstOnly.exitCode()).as(firstOnly.stderr()).isEqualTo(2);
        assertLoads("all_loaded", "host", "localhost", "ssl", "true", "sslCaFile", file("bundle.crt"),
                "sslLoadAllCaCertificates", "true");
    }

    @Test
    void aClientCertificateLogsInTheRoleThatNeedsOneInTableModeAndLogicalReplication() throws Exception {
        // PKCS#1 ("BEGIN RSA PRIVATE KEY") and PKCS#8 ("BEGIN PRIVATE KEY") keys
        assertLoads("client_pkcs1", "host", "localhost", "user", CLIENT, "ssl", "true", "sslCaFile", file("ca.crt"),
                "sslClientCertFile", file("client.crt"), "sslClientKeyFile", file("client-pkcs1.key"));
        PipelineRun.Result noCertificate = runOnce("client_none", "host", "localhost", "user", CLIENT, "ssl", "true",
                "sslCaFile", file("ca.crt"));
        assertThat(noCertificate.exitCode()).as("pg_hba asks this role for a certificate: %s", noCertificate.stderr()).isEqualTo(2);
        assertThat(noCertificate.stderr()).contains("set sslClientCertFile and sslClientKeyFile");

        // Debezium's connections (the replication stream) use the same settings
        db.execute("ALTER ROLE " + CLIENT + " REPLICATION", "ALTER TABLE items OWNER TO " + CLIENT,
                "GRANT CREATE ON DATABASE " + db.name() + " TO " + CLIENT);
        String name = "logical_" + db.suffix();
        clearRoutes();
        run.pipelineTo(name, db, "pgingest-duckdb:" + tmp.resolve("logical.duckdb"), "mode", "logical-replication",
                "host", "localhost", "user", CLIENT, "ssl", "true", "sslCaFile", file("ca.crt"),
                "sslClientCertFile", file("client.crt"), "sslClientKeyFile", file("client.key"));
        PipelineRun.Result first = run.once();
        assertThat(first.exitCode()).as(first.stderr()).isZero();
        db.execute("INSERT INTO items VALUES (51, 'streamed')");
        PipelineRun.Result second = run.once();
        assertThat(second.exitCode()).as(second.stderr()).isZero();
        assertThat(PipelineRun.duck(tmp.resolve("logical.duckdb"), "SELECT count(*), max(id) FROM items"))
                .as("the load and the streamed insert arrived over the certificate-only login")
                .containsExactly(List.of(51L, 51));
    }

    @Test
    void badSslSettingsStopTheStartNamingTheSetting() throws Exception {
        PipelineRun.Result ec = runOnce("ec_key", "ssl", "true", "sslClientCertFile", file("client.crt"),
                "sslClientKeyFile", file("ec.key"));
        assertThat(ec.exitCode()).isEqualTo(2);
        assertThat(ec.stderr()).contains("key 'sslClientKeyFile'").contains("EC key; only RSA keys are supported");

        PipelineRun.Result wrongKey = runOnce("wrong_key", "ssl", "true", "sslClientCertFile", file("client.crt"),
                "sslClientKeyFile", file("ca.key"));
        assertThat(wrongKey.stderr()).contains("key 'sslClientKeyFile'").contains("is not the key of the certificate");

        PipelineRun.Result withoutSsl = runOnce("without_ssl", "sslCaFile", file("ca.crt"));
        assertThat(withoutSsl.stderr()).contains("key 'sslCaFile'").contains("add ssl: true");

        PipelineRun.Result missing = runOnce("missing", "ssl", "true", "sslCaFile", tmp.resolve("nope.crt").toString());
        assertThat(missing.stderr()).contains("key 'sslCaFile'").contains("cannot read");

        PipelineRun.Result plain = runOnce("plain", "user", CLIENT, "ssl", "false");
        assertThat(plain.stderr()).as("ssl: false connects without SSL, which pg_hba refuses for this role")
                .contains("no encryption").contains("set ssl: true");

        PipelineRun.Result badValue = runOnce("bad_value", "ssl", "yes");
        assertThat(badValue.stderr()).contains("key 'ssl'").contains("not one of true, false, prefer");

        Path notPem = Files.writeString(tmp.resolve("not.crt"), "hello");
        PipelineRun.Result garbage = runOnce("garbage", "ssl", "true", "sslCaFile", notPem.toString());
        assertThat(garbage.stderr()).contains("holds no PEM certificate");
        for (PipelineRun.Result r : List.of(wrongKey, withoutSsl, missing, plain, badValue, garbage)) {
            assertThat(r.exitCode()).as(r.stderr()).isEqualTo(2);
        }
        assertThat(Files.exists(run.duckdb)).as("nothing was written").isFalse();
    }

    /** One pipeline of its own, run once; the others' route files are removed first. */
    private PipelineRun.Result runOnce(String name, String... extra) throws Exception {
        clearRoutes();
        run.pipeline(name, db, extra);
        return run.once();
    }

    private void clearRoutes() throws java.io.IOException {
        try (var files = Files.list(tmp.resolve("routes"))) {
            for (Path f : files.toList()) {
                Files.delete(f);
            }
        }
    }

    private void assertLoads(String name, String... extra) throws Exception {
        List<String> all = new ArrayList<>(List.of(extra));
        all.addAll(List.of("objects", "items: full-load"));
        PipelineRun.Result r = runOnce(name, all.toArray(new String[0]));
        assertThat(r.exitCode()).as(name + ": " + r.stderr()).isZero();
        assertThat(run.duck("SELECT count(*) FROM items")).as(name).containsExactly(List.of(50L));
    }

    private static String file(String name) {
        return SSL.resolve(name).toString();
    }
}
