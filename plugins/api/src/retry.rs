//! Which AWS error codes are worth retrying: one list for every AWS plugin.
//!
//! Plain data, no AWS SDK: a plugin takes the code from its SDK's error
//! (`ProvideErrorMetadata::code`) and asks [`is_aws_retryable`].

/// AWS error codes that mean "not now": throttling, and faults on AWS's
/// side. Retrying later, with backoff, may succeed.
///
/// The throttling codes are those the AWS SDKs classify as throttling
/// errors (`THROTTLING_ERROR_CODES` of the SDKs' error classification),
/// except `LimitExceededException`, which Secrets Manager and IAM use for
/// quotas that waiting does not lift. The fault codes are the ones the
/// Secrets Manager and IAM plugins already retried.
pub const AWS_RETRYABLE_CODES: &[&str] = &[
    // Throttling.
    "BandwidthLimitExceeded",
    "EC2ThrottledException",
    "PriorRequestNotComplete",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "RequestThrottled",
    "RequestThrottledException",
    "SlowDown",
    "ThrottledException",
    "Throttling",
    "ThrottlingException",
    "TooManyRequestsException",
    "TransactionInProgressException",
    // Faults on AWS's side.
    "InternalFailure",
    "InternalServiceError",
    "ServiceFailure",
    "ServiceUnavailable",
];

/// Whether an AWS error code is in [`AWS_RETRYABLE_CODES`] (exact,
/// case-sensitive, as AWS spells them).
pub fn is_aws_retryable(code: &str) -> bool {
    AWS_RETRYABLE_CODES.contains(&code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttling_and_faults_are_retryable() {
        // Every code either AWS plugin retried before this list existed.
        for code in [
            "ThrottlingException",
            "Throttling",
            "TooManyRequestsException",
            "RequestLimitExceeded",
            "InternalServiceError",
            "InternalFailure",
            "ServiceUnavailable",
            "ServiceFailure",
        ] {
            assert!(is_aws_retryable(code), "{code}");
        }
        for code in [
            "RequestThrottled",
            "RequestThrottledException",
            "ProvisionedThroughputExceededException",
            "SlowDown",
            "PriorRequestNotComplete",
            "EC2ThrottledException",
            "TransactionInProgressException",
            "BandwidthLimitExceeded",
            "ThrottledException",
        ] {
            assert!(is_aws_retryable(code), "{code}");
        }
    }

    #[test]
    fn other_codes_are_not() {
        for code in [
            "LimitExceededException",
            "LimitExceeded",
            "ResourceNotFoundException",
            "NoSuchEntity",
            "AccessDenied",
            "InvalidRequestException",
            "throttling",
            "",
        ] {
            assert!(!is_aws_retryable(code), "{code}");
        }
    }

    #[test]
    fn the_list_has_no_duplicates() {
        let mut codes = AWS_RETRYABLE_CODES.to_vec();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), AWS_RETRYABLE_CODES.len());
    }
}
