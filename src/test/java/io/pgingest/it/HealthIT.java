package io.pgingest.it;

import io.pgingest.testsupport.TestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 3, "stop the pipeline visibly (status, health, log)": each pipeline's health check, served by the real
 * application over HTTP (Camel's management server, {@code camel.management.*}), after real failures.
 */
class HealthIT {

    @TempDir
    Path tmp;

    private TestDatabase db;
    private PipelineRun run;
    private int port;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void setUp() throws Exception {
        db = TestDatabase.create("health");
        db.execute("CREATE TABLE big (id int PRIMARY KEY, v text)",
                "INSERT INTO big SELECT g, 'v' || g FROM generate_series(1, 3000) g",
                "CREATE TABLE small (id int PRIMARY KEY)", "INSERT INTO small VALUES (1), (2)");
        run = new PipelineRun(tmp);
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        Files.writeString(tmp.resolve("app.properties"), String.join("\n",
                "camel.management.enabled = true",
                "camel.management.port = " + port,
                "camel.management.health-check-enabled = true",
                "camel.health.exposure-level = full", ""), StandardOpenOption.APPEND);
        // The destination refuses row 2200 of big.
        run.duckExecute("CREATE TABLE big (id INTEGER CHECK (id <> 2200), v VARCHAR)");
    }

    @AfterEach
    void dropSlotsAndDatabase() {
        db.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '" + db.name() + "'");
        db.close();
    }

    @Test
    void aLogBasedPipelineThatStoppedOnAFailureIsDownForLivenessAndReadiness() throws Exception {
        String name = "failing_" + db.suffix();
        run.pipeline(name, db, "mode", "logical-replication", "objects", "public.big", "batchSize", "500");
        try (PipelineRun.Streaming streaming = run.stream()) {
            AtomicReference<Reply> live = new AtomicReference<>();
            assertThat(PipelineRun.eventually(Duration.ofSeconds(60), () -> {
                live.set(get("/observe/health/live"));
                return live.get().status() == 503;
            })).as("liveness goes DOWN once the pipeline stopped: %s", live).isTrue();
            assertThat(live.get().body()).contains("\"name\":\"pipeline-" + name + "\"")
                    .contains("stopped: loading the existing rows failed").contains("CHECK constraint");
            Reply ready = get("/observe/health/ready?data=true");
            assertThat(ready.status()).as(ready.body()).isEqualTo(503);
            assertThat(section(ready.body(), "pipeline-" + name)).as("the details, with ?data=true")
                    .contains("\"state\":\"failed\"", "\"mode\":\"logical-replication\"", "\"failed.at\":");
        }
    }

    @Test
    void aTableModePipelineWhoseRunFailedIsNotReadyButAliveAndAHealthyOneIsUp() throws Exception {
        String failing = "failing_" + db.suffix();
        String healthy = "healthy_" + db.suffix();
        run.pipeline(failing, db, "objects", "public.big: full-load", "batchSize", "500");
        run.pipelineTo(healthy, db, "pgingest-duckdb:" + tmp.resolve("healthy.duckdb"), "objects", "public.small: full-load");
        try (PipelineRun.Streaming streaming = run.stream()) {
            AtomicReference<Reply> ready = new AtomicReference<>();
            assertThat(PipelineRun.eventually(Duration.ofSeconds(60), () -> {
                ready.set(get("/observe/health/ready"));
                return ready.get().status() == 503 && ready.get().body().contains("the last run failed");
            })).as("readiness goes DOWN once the run failed: %s", ready).isTrue();
            String body = ready.get().body();
            assertThat(section(body, "pipeline-" + failing)).contains("\"status\":\"DOWN\"").contains("CHECK constraint");
            assertThat(section(body, "pipeline-" + healthy)).contains("\"status\":\"UP\"");

            Reply live = get("/observe/health/live");
            assertThat(live.status()).as("a failed table-mode run is retried by the schedule: the process is alive: %s",
                    live.body()).isEqualTo(200);
            assertThat(live.body()).doesNotContain("pipeline-" + failing);
        }
    }

    /** The part of a health response about one check: from its name to the next check's name. */
    private static String section(String body, String check) {
        int start = body.indexOf("\"name\":\"" + check + "\"");
        assertThat(start).as("check %s in %s", check, body).isNotNegative();
        int next = body.indexOf("\"name\":", start + 1);
        return next < 0 ? body.substring(start) : body.substring(start, next);
    }

    private record Reply(int status, String body) {
    }

    private Reply get(String path) throws IOException, InterruptedException {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            return new Reply(r.statusCode(), r.body());
        } catch (ConnectException e) {
            return new Reply(0, "not listening yet: " + e); // the caller polls again
        }
    }
}
