package io.pgingest.mapping;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link ArrayJson} on text that is not an array's (its conversions are compared with PostgreSQL in ArrayJsonIT). */
class ArrayJsonTest {

    @Test
    void textThatIsNotAnArraysSaysWhereItIsWrong() {
        assertThatThrownBy(() -> ArrayJson.of("{1,2", ArrayJson.Element.NUMBER, ','))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected ',' or '}' at position 4");
        assertThatThrownBy(() -> ArrayJson.of("1,2", ArrayJson.Element.NUMBER, ','))
                .hasMessageContaining("expected '{' at position 0");
        assertThatThrownBy(() -> ArrayJson.of("{\"a}", ArrayJson.Element.TEXT, ','))
                .hasMessageContaining("a closing '\"'");
        assertThatThrownBy(() -> ArrayJson.of("{1}}", ArrayJson.Element.NUMBER, ','))
                .hasMessageContaining("the end of the text");
        assertThatThrownBy(() -> ArrayJson.of("{1,,2}", ArrayJson.Element.NUMBER, ','))
                .hasMessageContaining("an element");
        assertThatThrownBy(() -> ArrayJson.of("{\"2024-01-01 10:00:00\"}", ArrayJson.Element.TIMESTAMPTZ, ','))
                .hasMessageContaining("not a timestamp with time zone's ISO text: \"2024-01-01 10:00:00\"");
        assertThatThrownBy(() -> ArrayJson.ofVector("1 x")).hasMessageContaining("not a number in a vector's text: \"x\"");
    }

    @Test
    void onlyTheTextsOfJsonNumbersAreWrittenBare() {
        assertThat(ArrayJson.of("{1,-0,0.5,1e+20,1E-7,NaN,Infinity,-Infinity,01,1.,.5,1e}", ArrayJson.Element.NUMBER, ','))
                .isEqualTo("[1,-0,0.5,1e+20,1E-7,\"NaN\",\"Infinity\",\"-Infinity\",\"01\",\"1.\",\".5\",\"1e\"]");
    }
}
