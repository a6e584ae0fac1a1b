package io.pgingest.event;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Binary COPY pages parsed in place: tuples found, values decoded on demand, the source's extra fields apart. */
class CopyRowsTest {

    private static final List<CopyRows.FieldReader> READERS = List.of(
            (b, o, n) -> ((b[o] & 0xFF) << 24) | ((b[o + 1] & 0xFF) << 16) | ((b[o + 2] & 0xFF) << 8) | (b[o + 3] & 0xFF),
            (b, o, n) -> new String(b, o, n, StandardCharsets.UTF_8));

    /** Header, then per row an int4, a text (null when null) and the id's text as the extra field, then the trailer. */
    private static byte[] page(int fieldsPerRow, Object[]... rows) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.write(new byte[] {'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xFF, '\r', '\n', 0});
        out.writeInt(0);
        out.writeInt(0);
        for (Object[] row : rows) {
            out.writeShort(fieldsPerRow);
            out.writeInt(4);
            out.writeInt((Integer) row[0]);
            if (row[1] == null) {
                out.writeInt(-1);
            } else {
                byte[] text = ((String) row[1]).getBytes(StandardCharsets.UTF_8);
                out.writeInt(text.length);
                out.write(text);
            }
            byte[] id = row[0].toString().getBytes(StandardCharsets.UTF_8);
            out.writeInt(id.length);
            out.write(id);
        }
        out.writeShort(-1);
        return bytes.toByteArray();
    }

    @Test
    void keysAreFoundRepeatedOrNotInTheBytesWithoutDecoding() throws IOException {
        byte[] unique = page(3, new Object[] {7, "ann"}, new Object[] {-7, "ann"}, new Object[] {8, null}, new Object[] {9, ""});
        CopyRows rows = CopyRows.parse(unique, unique.length, READERS, List.of("integer", "text"), 1);
        assertThat(rows.distinct(new int[] {0})).as("integers, the sorted numbers").isTrue();
        assertThat(rows.distinct(new int[] {1})).as("ann twice").isFalse();
        assertThat(rows.distinct(new int[] {1, 0})).as("pairs").isTrue();
        assertThat(rows.isDecoded()).isFalse();

        byte[] repeated = page(3, new Object[] {1, null}, new Object[] {2, "ann"}, new Object[] {1, "bob"});
        CopyRows again = CopyRows.parse(repeated, repeated.length, READERS, List.of("integer", "text"), 1);
        assertThat(again.distinct(new int[] {0})).as("1 twice").isFalse();
        assertThat(again.distinct(new int[] {0, 1})).isTrue();

        byte[] nulls = page(3, new Object[] {1, null}, new Object[] {2, null});
        CopyRows twoNulls = CopyRows.parse(nulls, nulls.length, READERS, List.of("integer", "text"), 1);
        assertThat(twoNulls.distinct(new int[] {1})).as("NULL equals NULL here").isFalse();
        byte[] emptyAndNull = page(3, new Object[] {1, null}, new Object[] {2, ""});
        assertThat(CopyRows.parse(emptyAndNull, emptyAndNull.length, READERS, List.of("integer", "text"), 1).distinct(new int[] {1}))
                .as("an empty text is not NULL").isTrue();
    }

    @Test
    void rowsAreDecodedOnDemandAndTheExtraFieldsReadApart() throws IOException {
        byte[] bytes = page(3, new Object[] {7, "ann"}, new Object[] {42, null});
        CopyRows rows = CopyRows.parse(bytes, bytes.length, READERS, List.of("integer", "text"), 1);
        assertThat(rows).hasSize(2);
        assertThat(rows.extraTexts(1)).containsExactly("42");
        assertThat(rows.anyField(1, (b, o, n) -> n == 3)).as("a three-byte text").isTrue();
        assertThat(rows.anyField(0, (b, o, n) -> b[o + 3] == 9)).isFalse();
        assertThat(rows.isDecoded()).as("nothing decoded yet").isFalse();
        assertThat(rows.get(0)).containsExactly(7, "ann");
        assertThat(rows.get(1)).containsExactly(42, null);
        assertThat(rows.isDecoded()).isTrue();
        // a tuple's columns, without its field count and extra field: 4+4 bytes of 7, 4+3 of "ann"
        assertThat(rows.columnsEnd(0) - rows.columnsStart(0)).isEqualTo(15);
    }

    @Test
    void anEmptyPageHasNoRows() throws IOException {
        byte[] bytes = page(3);
        assertThat(CopyRows.parse(bytes, bytes.length, READERS, List.of("integer", "text"), 1)).isEmpty();
    }

    @Test
    void bytesThatAreNotSuchAPageAreRefused() throws IOException {
        byte[] bytes = page(3, new Object[] {7, "ann"});
        assertThatThrownBy(() -> CopyRows.parse(bytes, bytes.length, READERS, List.of("integer", "text"), 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("3 fields, 2 expected");
        assertThatThrownBy(() -> CopyRows.parse(bytes, bytes.length - 3, READERS, List.of("integer", "text"), 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("past the end");
        byte[] text = "id,name\n".getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> CopyRows.parse(text, text.length, READERS, List.of("integer", "text"), 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no signature");
    }
}
