package io.pgingest.destination.duckdb;

import java.io.IOException;
import java.io.InputStream;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.security.CodeSource;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Locale;
import java.util.Properties;
import java.util.jar.JarEntry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * DuckDB's native library, extracted once beside the pg-ingest jar instead of at every start.
 *
 * <p>DuckDB's JDBC driver extracts the library of its platform from its jar into a new temporary file whenever a
 * process first uses DuckDB: 57 MB inflated and written for Linux x86-64, about 0.3 s of CPU per start, and that many
 * dirty pages for the file system to write out while the pipeline commits its first batches (backlog drains of
 * 200k changes into DuckDB took 0.44 s longer with it on average, over seven alternated pairs, bench/README.md,
 * sixteenth session). The pg-ingest jar therefore holds the
 * libraries under {@value #DIRECTORY} (the build moves them there), where the driver does not find them; it then
 * loads {@code libduckdb_java.so_<os>_<arch>} from the directory of the jar it was loaded from. {@link #prepare}
 * puts the library there on first use, and again when the file there differs from the jar's (another version).
 *
 * <p>Where DuckDB's own jar is on the class path (a Camel application that embeds pg-ingest as a dependency, the
 * tests), the driver finds its library in it and extracts it as usual: nothing is done here.
 */
public final class DuckDbNative {

    /** Where the pg-ingest jar holds DuckDB's native libraries. */
    static final String DIRECTORY = "pgingest-native/";

    private static final Logger LOG = LoggerFactory.getLogger(DuckDbNative.class);
    private static final String DRIVER = "org.duckdb.DuckDBDriver";
    private static boolean prepared;
    /** The library file {@link #prepare} put or found beside the jar, or null when the driver loads its own. */
    private static Path placed;
    /** Why the library could not be put in place: said again to every later use instead of trying once more. */
    private static IllegalStateException failure;

    private DuckDbNative() {
    }

    /**
     * Puts DuckDB's native library beside the jar now and prints where it is: {@code java -cp pg-ingest.jar
     * io.pgingest.destination.duckdb.DuckDbNative}, for an installation (a container image) whose jar directory is
     * read-only when pg-ingest runs. Exit code 0, or 1 with the reason on stderr.
     */
    public static void main(String[] args) {
        try {
            prepare();
        } catch (IllegalStateException e) {
            System.err.println(e.getMessage());
            System.exit(1);
        }
        System.out.println(placed != null ? placed
                : "nothing to extract: DuckDB's driver loads its native library from its own jar or java.library.path");
    }

    /** A connection to {@code url} through DuckDB's driver, once its native library is in place ({@link #prepare}). */
    public static Connection connect(String url, Properties properties) throws SQLException {
        prepare();
        return DriverManager.getConnection(url, properties);
    }

    /** As {@link #connect(String, Properties)} without properties. */
    public static Connection connect(String url) throws SQLException {
        return connect(url, new Properties());
    }

    /**
     * Puts DuckDB's native library beside the jar that holds DuckDB's driver, when that jar holds the library under
     * {@value #DIRECTORY} and not where the driver looks for it. Done once per process (a failure too).
     *
     * @throws IllegalStateException when the library must be extracted and cannot be (the message says how to fix it)
     */
    public static synchronized void prepare() {
        if (prepared) {
            return;
        }
        if (failure != null) {
            throw new IllegalStateException(failure.getMessage(), failure.getCause());
        }
        Class<?> driver;
        try {
            driver = Class.forName(DRIVER, false, DuckDbNative.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            prepared = true; // no DuckDB at all: the driver lookup says so
            return;
        }
        String name = libraryName(System.getProperty("os.name"), System.getProperty("os.arch"));
        if (name == null || driver.getResource("/" + name) != null) {
            prepared = true; // a platform DuckDB does not ship, or DuckDB's own jar: the driver extracts its library
            return;
        }
        URL packed = driver.getResource("/" + DIRECTORY + name);
        Path directory = jarDirectory(driver);
        if (packed == null || directory == null) {
            prepared = true; // a jar without the libraries: the driver loads one from java.library.path
            return;
        }
        try {
            place(packed, directory.resolve(name));
            placed = directory.resolve(name);
        } catch (IOException e) {
            failure = new IllegalStateException("cannot put DuckDB's native library " + name + " beside the pg-ingest jar in "
                    + directory + ": " + e + ". pg-ingest extracts it there on first use: make the directory writable"
                    + " for one run of 'java -cp <pg-ingest.jar> " + DuckDbNative.class.getName() + "' (or of pg-ingest),"
                    + " or extract it yourself: unzip -j <pg-ingest.jar> " + DIRECTORY + name + " -d " + directory, e);
            throw new IllegalStateException(failure.getMessage(), e);
        }
        prepared = true;
    }

    /**
     * The name DuckDB's driver gives its native library for this platform ({@code libduckdb_java.so_linux_amd64},
     * {@code _linux_arm64}, {@code _osx_universal}, {@code _windows_amd64}), or null for one it has none for.
     */
    public static String libraryName(String osName, String osArch) {
        String os = osName == null ? "" : osName.toLowerCase(Locale.ROOT).trim();
        String arch = osArch == null ? "" : osArch.toLowerCase(Locale.ROOT).trim();
        arch = switch (arch) {
            case "x86_64", "amd64" -> "amd64";
            case "aarch64", "arm64" -> "arm64";
            default -> null;
        };
        if (os.startsWith("mac")) {
            return "libduckdb_java.so_osx_universal";
        }
        if (arch == null) {
            return null;
        }
        if (os.startsWith("windows")) {
            return "libduckdb_java.so_windows_" + arch;
        }
        return os.startsWith("linux") ? "libduckdb_java.so_linux_" + arch : null;
    }

    /** The directory of the jar {@code type} was loaded from (its real path, as the driver resolves it), or null. */
    private static Path jarDirectory(Class<?> type) {
        CodeSource source = type.getProtectionDomain().getCodeSource();
        if (source == null || source.getLocation() == null) {
            return null;
        }
        try {
            Path jar = Path.of(source.getLocation().toURI());
            return Files.isRegularFile(jar) && jar.getParent() != null ? jar.getParent().toRealPath() : null;
        } catch (URISyntaxException | IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * Makes {@code file} hold the jar entry {@code packed}: kept when its size and modification time are the entry's
     * (an extracted file is given the entry's time; reading the 57 MB to compare checksums would cost 0.2 s per start),
     * otherwise written to a temporary file in the same directory and moved over it (a process that loaded the old
     * file keeps it; two processes extracting at once each move a whole file).
     */
    static void place(URL packed, Path file) throws IOException {
        URLConnection connection = packed.openConnection();
        connection.setUseCaches(false);
        JarEntry entry = connection instanceof JarURLConnection jar ? jar.getJarEntry() : null;
        FileTime time = entry == null ? null : entry.getLastModifiedTime();
        if (entry != null && time != null && entry.getSize() >= 0 && Files.isRegularFile(file)
                && Files.size(file) == entry.getSize() && Files.getLastModifiedTime(file).equals(time)) {
            return;
        }
        long started = System.nanoTime();
        Path temporary = Files.createTempFile(file.getParent(), "." + file.getFileName(), ".tmp");
        try {
            try (InputStream in = connection.getInputStream()) {
                Files.copy(in, temporary, StandardCopyOption.REPLACE_EXISTING);
            }
            if (time != null) {
                Files.setLastModifiedTime(temporary, time);
            }
            Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temporary);
        }
        LOG.info("DuckDB's native library extracted to {} ({} ms, once: later starts load it from there)", file,
                (System.nanoTime() - started) / 1_000_000);
    }
}
