package io.pgingest.source.logical;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** Names garbled as Debezium 3.4's pgoutput decoder reads them, and back (LogicalReplicationIT streams such names). */
class DebeziumNamesTest {

    /** What the decoder does: each byte of the UTF-8 name becomes one character. */
    private static String garble(String name) {
        StringBuilder out = new StringBuilder();
        for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
            out.append((char) b);
        }
        return out.toString();
    }

    @Test
    void namesOutsideAsciiGoBackAndForthAndAsciiNamesStayAsTheyAre() {
        for (String name : new String[] {"naïve", "Région", "日本", "emoji 🙂", "plain_name", "Mixed Case", ""}) {
            assertThat(DebeziumNames.toDebezium(name)).as(name).isEqualTo(garble(name));
            assertThat(DebeziumNames.fromDebezium(garble(name))).as(name).isEqualTo(name);
        }
        assertThat(DebeziumNames.fromDebezium("naïve")).as("a name that is not garbled is left as it is").isEqualTo("naïve");
        assertThat(DebeziumNames.fromDebezium("\uFFC3")).as("garbled bytes that are not UTF-8 are left as they are")
                .isEqualTo("\uFFC3");
    }
}
