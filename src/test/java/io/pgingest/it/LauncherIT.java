package io.pgingest.it;

import io.pgingest.destination.duckdb.DuckDbNative;
import io.pgingest.testsupport.TestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The launcher {@code scripts/pg-ingest} around the packaged jar ({@code target/pg-ingest.jar}, built by
 * {@code mvn package} before the integration tests): the first run of pipelines makes the class-data-sharing
 * archive, the next runs start from it, operator commands neither need nor make one, and a missing jar is
 * one clear line.
 */
class LauncherIT {

    private static final Path ROOT = Path.of("").toAbsolutePath();
    private static final Path JAR = ROOT.resolve("target/pg-ingest.jar");

    @TempDir
    Path tmp;

    private TestDatabase db;
    private PipelineRun run;
    private Path archive;

    @BeforeEach
    void setUp() throws Exception {
        assertThat(JAR).as("mvn package builds the jar before the integration tests").exists();
        db = TestDatabase.create("launcher");
        db.execute("CREATE TABLE items (id int PRIMARY KEY, name text)", "INSERT INTO items VALUES (1, 'one'), (2, 'two')");
        run = new PipelineRun(tmp);
        run.pipeline("launched", db);
        archive = tmp.resolve("cds/pg-ingest.jsa");
        Files.createDirectories(archive.getParent());
    }

    @AfterEach
    void tearDown() {
        db.close();
    }

    @Test
    void theFirstRunOfPipelinesMakesTheArchiveAndTheNextRunsStartFromIt() throws Exception {
        Result first = launch(Map.of(), "--once");
        assertThat(first.exitCode()).as(first.output()).isZero();
        assertThat(archive).as("made when the first run of pipelines ended").exists();
        assertThat(Files.readString(tmp.resolve("cds/pg-ingest.jsa.java")).strip()).as("the java that made it").isNotEmpty();
        assertThat(tmp.resolve("cds")).as("no temporary file left").isDirectoryNotContaining("glob:**.tmp*");
        assertThat(run.duck("SELECT id, name FROM items ORDER BY id")).containsExactly(List.of(1, "one"), List.of(2, "two"));

        db.execute("INSERT INTO items VALUES (3, 'three')");
        long madeAt = Files.getLastModifiedTime(archive).toMillis();
        Result second = launch(Map.of(), "-Xlog:class+load=info", "--once");
        assertThat(second.exitCode()).as(second.output()).isZero();
        assertThat(second.output()).as("pg-ingest's own classes come from the archive")
                .containsPattern("io\\.pgingest\\.PgIngest source: shared objects file");
        assertThat(Files.getLastModifiedTime(archive).toMillis()).as("a usable archive is not made again").isEqualTo(madeAt);
        assertThat(run.duck("SELECT count(*) FROM items")).containsExactly(List.of(3L));
    }

    /**
     * On Java 25 or later the archive is an AOT cache. Runs when such a JDK is found: {@code PGINGEST_TEST_JDK25}
     * (a JAVA_HOME), else the newest one under /usr/lib/jvm; skipped otherwise (the build machines have one).
     */
    @Test
    void onJava25TheArchiveIsAnAotCacheAndTheNextRunsStartFromIt() throws Exception {
        Optional<Path> jdk = jdk25();
        assumeTrue(jdk.isPresent(), "no JDK 25 or later: set PGINGEST_TEST_JDK25 to one");
        Map<String, String> env = Map.of("JAVA_HOME", jdk.get().toString());

        Result first = launch(env, "--once");
        assertThat(first.exitCode()).as(first.output()).isZero();
        assertThat(first.output()).as("no AOT warnings on the console").doesNotContain("[aot");
        assertThat(archive).as("made when the first run of pipelines ended").exists();
        assertThat(Files.readAllLines(tmp.resolve("cds/pg-ingest.jsa.java"))).as("the java that made it, and the kind")
                .containsExactly(jdk.get().resolve("bin/java").toRealPath().toString(), "aot");
        assertThat(tmp.resolve("cds")).as("no temporary file left").isDirectoryNotContaining("glob:**.tmp*");

        db.execute("INSERT INTO items VALUES (3, 'three')");
        long madeAt = Files.getLastModifiedTime(archive).toMillis();
        Result second = launch(env, "-Xlog:class+load=info", "--once");
        assertThat(second.exitCode()).as(second.output()).isZero();
        assertThat(second.output()).as("pg-ingest's own classes come from the AOT cache")
                .containsPattern("io\\.pgingest\\.PgIngest source: shared objects file");
        assertThat(Files.getLastModifiedTime(archive).toMillis()).as("a usable cache is not made again").isEqualTo(madeAt);
        assertThat(run.duck("SELECT count(*) FROM items")).containsExactly(List.of(3L));

        // The java running the tests (17 on the build machines) must not be handed the cache: its stamp names
        // another java, so that run makes a CDS archive of its own.
        assumeTrue(Runtime.version().feature() < 25, "the tests run on Java 25 or later: no older java to try");
        Result older = launch(Map.of("JAVA_HOME", System.getProperty("java.home")), "--once");
        assertThat(older.exitCode()).as("the older java starts without the cache: " + older.output()).isZero();
        assertThat(Files.readAllLines(tmp.resolve("cds/pg-ingest.jsa.java"))).as("remade by the older java, as CDS")
                .containsExactly(Path.of(System.getProperty("java.home"), "bin/java").toRealPath().toString(), "cds");
    }

    /** A JDK of version 25 or later: PGINGEST_TEST_JDK25, else the newest under /usr/lib/jvm with a release file. */
    private static Optional<Path> jdk25() throws IOException {
        String given = System.getenv("PGINGEST_TEST_JDK25");
        if (given != null && !given.isBlank()) {
            return Optional.of(Path.of(given));
        }
        Path jvms = Path.of("/usr/lib/jvm");
        if (!Files.isDirectory(jvms)) {
            return Optional.empty();
        }
        Pattern version = Pattern.compile("(?m)^JAVA_VERSION=\"(\\d+)");
        try (Stream<Path> homes = Files.list(jvms)) {
            return homes.filter(home -> Files.isExecutable(home.resolve("bin/java")) && Files.isRegularFile(home.resolve("release")))
                    .filter(home -> {
                        try {
                            Matcher m = version.matcher(Files.readString(home.resolve("release")));
                            return m.find() && Integer.parseInt(m.group(1)) >= 25;
                        } catch (IOException e) {
                            return false;
                        }
                    })
                    .max(java.util.Comparator.naturalOrder());
        }
    }

    @Test
    void aServiceStoppedWithTermStopsJavaAndKeepsTheArchive() throws Exception {
        Process service = start(Map.of()); // no --once: the pipeline runs, then waits for its next run
        assertThat(PipelineRun.eventually(java.time.Duration.ofSeconds(60),
                () -> output().contains("historical load finished") || output().contains("2 rows in")))
                .as("the service loaded the table: " + output()).isTrue();
        service.destroy(); // TERM to the launcher, which passes it on to java
        assertThat(service.waitFor(60, TimeUnit.SECONDS)).as("the launcher ended").isTrue();
        assertThat(service.exitValue()).as(output()).isEqualTo(143);
        assertThat(run.duck("SELECT count(*) FROM items")).containsExactly(List.of(2L));
        assertThat(archive).as("a run stopped with TERM ended normally: its archive is kept").exists();
        assertThat(ProcessHandle.allProcesses().map(h -> h.info().commandLine().orElse(""))
                .filter(c -> c.contains(archive.toString()))).as("no java left running").isEmpty();
    }

    @Test
    void anOperatorCommandRunsWithoutMakingAnArchiveAndOffRunsPlainJava() throws Exception {
        Result status = launch(Map.of(), "--status");
        assertThat(status.exitCode()).as(status.output()).isZero();
        assertThat(status.output()).contains("launched");
        assertThat(archive).as("a command loads other classes than pipelines: no archive from it").doesNotExist();

        Result off = launch(Map.of("PGINGEST_CDS", "off"), "--once");
        assertThat(off.exitCode()).as(off.output()).isZero();
        assertThat(archive).as("PGINGEST_CDS=off neither uses nor makes one").doesNotExist();
    }

    /**
     * DuckDB's driver would extract its native library (57 MB) to a new temporary file at every start; the jar holds
     * it elsewhere, and the first run puts it beside the jar, where the next runs load it from.
     */
    @Test
    void duckDbsNativeLibraryIsExtractedBesideTheJarOnceAndNotIntoTemporaryFiles() throws Exception {
        Path app = Files.createDirectories(tmp.resolve("app"));
        Path jar = Files.copy(JAR, app.resolve("pg-ingest.jar"));
        Path javaTmp = Files.createDirectories(tmp.resolve("java-tmp"));
        Map<String, String> env = Map.of("PGINGEST_JAR", jar.toString(), "PGINGEST_CDS", "off");
        Path library = app.resolve(DuckDbNative.libraryName(System.getProperty("os.name"), System.getProperty("os.arch")));

        Result first = launch(env, "-Djava.io.tmpdir=" + javaTmp, "--once");
        assertThat(first.exitCode()).as(first.output()).isZero();
        assertThat(first.output()).contains("DuckDB's native library extracted to " + library.toRealPath());
        long size;
        try (java.util.zip.ZipFile zip = new java.util.zip.ZipFile(jar.toFile())) {
            size = zip.getEntry("pgingest-native/" + library.getFileName()).getSize();
        }
        assertThat(library).hasSize(size);
        assertThat(javaTmp).as("the driver extracted nothing itself").isDirectoryNotContaining("glob:**libduckdb*");
        assertThat(app).as("no temporary file left").isDirectoryNotContaining("glob:**.tmp");
        assertThat(run.duck("SELECT count(*) FROM items")).containsExactly(List.of(2L));

        Object extracted = Files.readAttributes(library, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
        db.execute("INSERT INTO items VALUES (3, 'three')");
        Result second = launch(env, "-Djava.io.tmpdir=" + javaTmp, "--once");
        assertThat(second.exitCode()).as(second.output()).isZero();
        assertThat(second.output()).doesNotContain("native library extracted");
        assertThat(Files.readAttributes(library, java.nio.file.attribute.BasicFileAttributes.class).fileKey())
                .as("the same file, not written again").isEqualTo(extracted);
        assertThat(javaTmp).isDirectoryNotContaining("glob:**libduckdb*");
        assertThat(run.duck("SELECT count(*) FROM items")).containsExactly(List.of(3L));

        // a library of another version (another size) beside the jar is replaced
        Files.write(library, new byte[] {1, 2, 3});
        db.execute("INSERT INTO items VALUES (4, 'four')");
        Result third = launch(env, "-Djava.io.tmpdir=" + javaTmp, "--once");
        assertThat(third.exitCode()).as(third.output()).isZero();
        assertThat(third.output()).contains("DuckDB's native library extracted to");
        assertThat(library).hasSize(size);
        assertThat(run.duck("SELECT count(*) FROM items")).containsExactly(List.of(4L));
    }

    /** The Docker image puts the library beside the jar when it is built, so that it may run on a read-only file system. */
    @Test
    void duckDbsNativeLibraryCanBePutBesideTheJarAheadOfTheFirstRun() throws Exception {
        Path app = Files.createDirectories(tmp.resolve("image"));
        Path jar = Files.copy(JAR, app.resolve("pg-ingest.jar"));
        Path library = app.toRealPath().resolve(DuckDbNative.libraryName(System.getProperty("os.name"), System.getProperty("os.arch")));
        Process extract = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp", jar.toString(),
                DuckDbNative.class.getName()).redirectErrorStream(true).start();
        String printed = new String(extract.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(extract.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(extract.exitValue()).as(printed).isZero();
        assertThat(printed.strip()).endsWith(library.toString());
        assertThat(library).isRegularFile();

        Result first = launch(Map.of("PGINGEST_JAR", jar.toString(), "PGINGEST_CDS", "off"), "--once");
        assertThat(first.exitCode()).as(first.output()).isZero();
        assertThat(first.output()).doesNotContain("native library extracted");
        assertThat(run.duck("SELECT count(*) FROM items")).containsExactly(List.of(2L));
    }

    @Test
    void aMissingJarIsOneLineAndExitCode2() throws Exception {
        Result missing = launch(Map.of("PGINGEST_JAR", tmp.resolve("nowhere/pg-ingest.jar").toString()), "--once");
        assertThat(missing.exitCode()).isEqualTo(2);
        assertThat(missing.output().strip()).startsWith("pg-ingest: ").contains("nowhere/pg-ingest.jar is missing")
                .contains("mvn -B package -DskipTests").doesNotContain("\n");
    }

    private record Result(int exitCode, String output) {
    }

    /** Runs scripts/pg-ingest with the test's properties file and archive; stdout and stderr together. */
    private Result launch(Map<String, String> env, String... args) throws IOException, InterruptedException {
        Process p = start(env, args);
        boolean ended = p.waitFor(120, TimeUnit.SECONDS);
        if (!ended) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        assertThat(ended).as("the launcher ended within 120 s; what it printed: " + output()).isTrue();
        return new Result(p.exitValue(), output());
    }

    /** What the last launch printed so far (stdout and stderr). */
    private String output() throws IOException {
        Path log = tmp.resolve("launcher.log");
        return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
    }

    private Process start(Map<String, String> env, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of("bash", ROOT.resolve("scripts/pg-ingest").toString(),
                "-Xmx256m", "-pl", "file:" + tmp.resolve("app.properties")));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).directory(tmp.toFile()).redirectErrorStream(true)
                .redirectOutput(tmp.resolve("launcher.log").toFile());
        pb.environment().put("PGINGEST_CDS_ARCHIVE", archive.toString());
        pb.environment().remove("JAVA_OPTS");
        pb.environment().putAll(env);
        return pb.start();
    }
}
