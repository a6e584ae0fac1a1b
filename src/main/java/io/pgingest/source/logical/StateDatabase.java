package io.pgingest.source.logical;

/**
 * The JDBC database of the state store ({@code pgingest.state.url/user/password}), where Debezium's
 * offsets of each logical-replication pipeline are kept too. {@link #toString()} hides the password.
 */
public record StateDatabase(String url, String user, String password) {
    @Override
    public String toString() {
        return url;
    }
}
