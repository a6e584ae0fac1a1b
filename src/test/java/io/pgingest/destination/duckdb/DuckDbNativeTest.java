package io.pgingest.destination.duckdb;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DuckDbNativeTest {

    @TempDir
    Path tmp;

    @Test
    void theLibraryNameIsTheDriversForEachPlatformItShips() {
        assertThat(DuckDbNative.libraryName("Linux", "amd64")).isEqualTo("libduckdb_java.so_linux_amd64");
        assertThat(DuckDbNative.libraryName("Linux", "x86_64")).isEqualTo("libduckdb_java.so_linux_amd64");
        assertThat(DuckDbNative.libraryName("Linux", "aarch64")).isEqualTo("libduckdb_java.so_linux_arm64");
        assertThat(DuckDbNative.libraryName("Mac OS X", "aarch64")).isEqualTo("libduckdb_java.so_osx_universal");
        assertThat(DuckDbNative.libraryName("Windows 11", "amd64")).isEqualTo("libduckdb_java.so_windows_amd64");
        assertThat(DuckDbNative.libraryName("Linux", "riscv64")).isNull();
        assertThat(DuckDbNative.libraryName("FreeBSD", "amd64")).isNull();
    }

    @Test
    void theEntryIsExtractedOnceAndAgainWhenTheFileDiffers() throws Exception {
        byte[] content = "the library's bytes".getBytes();
        URL entry = jarWith("pgingest-native/lib.so", content, Instant.parse("2026-01-26T13:49:28Z"));
        Path file = tmp.resolve("lib.so");

        DuckDbNative.place(entry, file);
        assertThat(file).hasBinaryContent(content);
        Object key = Files.readAttributes(file, BasicFileAttributes.class).fileKey();
        DuckDbNative.place(entry, file);
        assertThat(Files.readAttributes(file, BasicFileAttributes.class).fileKey()).as("kept").isEqualTo(key);

        Files.setLastModifiedTime(file, FileTime.from(Instant.parse("2026-02-01T00:00:00Z"))); // same size, other time
        DuckDbNative.place(entry, file);
        assertThat(Files.readAttributes(file, BasicFileAttributes.class).fileKey()).as("replaced").isNotEqualTo(key);
        assertThat(file).hasBinaryContent(content);

        FileTime time = Files.getLastModifiedTime(file);
        Files.write(file, new byte[] {1, 2, 3}); // another size, same time
        Files.setLastModifiedTime(file, time);
        DuckDbNative.place(entry, file);
        assertThat(file).hasBinaryContent(content);
        assertThat(tmp).isDirectoryNotContaining("glob:**.tmp");
    }

    @Test
    void aDirectoryThatCannotTakeTheFileFailsWithoutLeavingOne() throws Exception {
        URL entry = jarWith("pgingest-native/lib.so", new byte[] {7}, Instant.now());
        Path notADirectory = Files.createFile(tmp.resolve("a-file"));
        assertThatThrownBy(() -> DuckDbNative.place(entry, notADirectory.resolve("lib.so"))).isInstanceOf(IOException.class);
    }

    @Test
    void withDuckDbsOwnJarOnTheClassPathTheDriverExtractsItsLibraryItself() throws Exception {
        Path duckDbJar = Path.of(org.duckdb.DuckDBDriver.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        String name = DuckDbNative.libraryName(System.getProperty("os.name"), System.getProperty("os.arch"));
        DuckDbNative.prepare();
        assertThat(duckDbJar.getParent().resolve(name)).as("nothing put beside DuckDB's jar").doesNotExist();
        try (var c = DuckDbNative.connect("jdbc:duckdb:"); var s = c.createStatement(); var rs = s.executeQuery("SELECT 42")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getInt(1)).isEqualTo(42);
        }
    }

    private URL jarWith(String name, byte[] content, Instant time) throws IOException {
        Path jar = Files.createTempFile(tmp, "test", ".jar");
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream zip = new JarOutputStream(out)) {
            JarEntry entry = new JarEntry(name);
            entry.setLastModifiedTime(FileTime.from(time));
            zip.putNextEntry(entry);
            zip.write(content);
            zip.closeEntry();
        }
        return new URL("jar:" + jar.toUri() + "!/" + name);
    }
}
