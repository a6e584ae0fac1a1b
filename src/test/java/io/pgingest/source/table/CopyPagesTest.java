package io.pgingest.source.table;

import org.junit.jupiter.api.Test;

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

    @Test
    void aNulCharacterCannotBeALiteral() {
        assertThatThrownBy(() -> CopyPages.inline("SELECT ?", List.of("a\0b")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("NUL");
    }
}
