package io.pgingest.source.table;

import io.pgingest.event.Column;
import io.pgingest.event.CopyRows;
import io.pgingest.event.LogicalType;
import io.pgingest.mapping.BinaryReaders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** COPY takes no bind parameters: the page query's are written into it as literals. */
class CopyPagesTest {

    @Test
    void placeholdersOutsideQuotesBecomeLiterals() {
        String sql = "SELECT \"a?b\" FROM t AS \"x\"\"?\" WHERE (t.k) > (?::integer) AND t.s = 'q?' LIMIT ?";
        assertThat(CopyPages.inline(sql, List.of("5", 100)))
                .isEqualTo("SELECT \"a?b\" FROM t AS \"x\"\"?\" WHERE (t.k) > (E'5'::integer) AND t.s = 'q?' LIMIT 100");
    }

    @Test
    void textIsEscapedWhateverStandardConformingStringsSays() {
        assertThat(CopyPages.inline("SELECT ?", List.of("O'Brien \\x")))
                .isEqualTo("SELECT E'O''Brien \\\\x'");
        assertThat(CopyPages.inline("SELECT ?, ?", Arrays.asList(null, 7L))).isEqualTo("SELECT NULL, 7");
    }

    @Test
    void aCountThatDoesNotMatchIsAnError() {
        assertThatThrownBy(() -> CopyPages.inline("SELECT ?, ?", List.of(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("more placeholders");
        assertThatThrownBy(() -> CopyPages.inline("SELECT ?", List.of(1, 2)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2 parameters for 1 placeholders");
    }

    /** A COPY stream of (int4, text) rows 1..n, "row i" (null for every third). */
    private static byte[] stream(int n) throws java.io.IOException {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        java.io.DataOutputStream out = new java.io.DataOutputStream(bytes);
        out.write(new byte[] {'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xFF, '\r', '\n', 0, 0, 0, 0, 0, 0, 0, 0, 0});
        for (int i = 1; i <= n; i++) {
            out.writeShort(2);
            out.writeInt(4);
            out.writeInt(i);
            if (i % 3 == 0) {
                out.writeInt(-1);
            } else {
                byte[] text = ("row " + i).getBytes(java.nio.charset.StandardCharsets.UTF_8);
                out.writeInt(text.length);
                out.write(text);
            }
        }
        out.writeShort(-1);
        return bytes.toByteArray();
    }

    @ParameterizedTest(name = "messages of {0} bytes")
    @ValueSource(ints = {1, 7, 19, 100000})
    void aStreamIsCutIntoPagesOfCompleteRowsWhateverTheMessageBoundaries(int messageSize) throws Exception {
        BinaryReaders.Readers readers = BinaryReaders.of(List.of(
                new Column("id", "integer", LogicalType.INT32, -1, -1, false), new Column("note", "text", LogicalType.TEXT, -1, -1, true)));
        byte[] stream = stream(10);
        CopyPages.Splitter pages = new CopyPages.Splitter(readers);
        List<Object[]> rows = new java.util.ArrayList<>();
        for (int at = 0; at < stream.length; at += messageSize) {
            pages.add(Arrays.copyOfRange(stream, at, Math.min(stream.length, at + messageSize)));
            while (pages.tuples() >= 4) {
                CopyRows page = pages.take(4);
                assertThat(page).hasSize(4);
                rows.addAll(page);
            }
        }
        assertThat(pages.ended()).isTrue();
        assertThat(pages.tuples()).isEqualTo(2);
        rows.addAll(pages.take(2));
        assertThat(rows).extracting(r -> r[0]).containsExactly(1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
        assertThat(rows.get(0)[1]).isEqualTo("row 1");
        assertThat(rows.get(2)[1]).isNull();
        assertThatThrownBy(() -> pages.add(new byte[] {0})).hasMessageContaining("after the trailer");
    }

    @Test
    void aStreamWithoutTheSignatureIsRefused() {
        CopyPages.Splitter pages = new CopyPages.Splitter(BinaryReaders.of(List.of()));
        assertThatThrownBy(() -> pages.add("id,note\n1,ann\n2,bob\n".getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no signature");
    }

    @Test
    void aNulCharacterCannotBeALiteral() {
        assertThatThrownBy(() -> CopyPages.inline("SELECT ?", List.of("a\0b")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("NUL");
    }
}
