import { z } from 'zod';
import { PASSWORD_MAX, PASSWORD_MIN } from '../auth/passwords';

/** Input pieces shared by several routers. */
export const usernameSchema = z
	.string()
	.trim()
	.min(1, 'is required')
	.max(64, 'must be at most 64 characters')
	.regex(/^[\p{L}\p{N}._@-]+$/u, 'may contain letters, digits and . _ @ - only');

export const passwordSchema = z
	.string()
	.min(PASSWORD_MIN, `must be at least ${PASSWORD_MIN} characters`)
	.max(PASSWORD_MAX, `must be at most ${PASSWORD_MAX} characters`);
