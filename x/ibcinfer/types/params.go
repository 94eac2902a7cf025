package types

import errorsmod "cosmossdk.io/errors"

// Bounds of the params.
const (
	// MaxMemoBytesLimit bounds max_memo_bytes: ibc-go itself caps an ICS-20
	// memo at 32768 bytes.
	MaxMemoBytesLimit = 32768
	// MaxAckOutputBytesLimit bounds max_ack_output_bytes.
	MaxAckOutputBytesLimit = 65536
	// MaxRefundAttemptsLimit bounds max_refund_attempts.
	MaxRefundAttemptsLimit = 10
)

// DefaultParams: memos up to 8 KiB, outputs up to 2 KiB in the
// acknowledgement, refunds with a one-hour timeout and three attempts.
func DefaultParams() Params {
	return Params{
		MaxMemoBytes:         8192,
		MaxAckOutputBytes:    2048,
		RefundTimeoutSeconds: 3600,
		MaxRefundAttempts:    3,
	}
}

// Validate checks the params' bounds.
func (p Params) Validate() error {
	switch {
	case p.MaxMemoBytes == 0 || p.MaxMemoBytes > MaxMemoBytesLimit:
		return errorsmod.Wrapf(ErrInvalidParams, "max_memo_bytes %d not in [1, %d]", p.MaxMemoBytes, MaxMemoBytesLimit)
	case p.MaxAckOutputBytes > MaxAckOutputBytesLimit:
		return errorsmod.Wrapf(ErrInvalidParams, "max_ack_output_bytes %d above %d", p.MaxAckOutputBytes, MaxAckOutputBytesLimit)
	case p.RefundTimeoutSeconds < 60 || p.RefundTimeoutSeconds > 7*24*3600:
		return errorsmod.Wrapf(ErrInvalidParams, "refund_timeout_seconds %d not in [60, 604800]", p.RefundTimeoutSeconds)
	case p.MaxRefundAttempts == 0 || p.MaxRefundAttempts > MaxRefundAttemptsLimit:
		return errorsmod.Wrapf(ErrInvalidParams, "max_refund_attempts %d not in [1, %d]", p.MaxRefundAttempts, MaxRefundAttemptsLimit)
	}
	return nil
}
