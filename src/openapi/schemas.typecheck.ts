/**
 * Compile-time checks that the documented shapes (schemas.ts, the features' event schemas) are the
 * presenters' and services' own types: `tsc --noEmit` fails when a field is added, removed, renamed
 * or retyped on either side. Nothing here runs.
 */
import type { z } from 'zod';
import type { AuthResult as AuthResultType } from '../modules/auth/auth.service.js';
import type { FilesService, MediaItem as MediaItemType } from '../modules/files/files.service.js';
import type {
  FileView as FileViewType,
  MessageView,
  SenderView,
  Tombstone as TombstoneType,
} from '../modules/messages/messages.presenter.js';
import type { ReactionGroup as ReactionGroupType } from '../modules/messages/messages.repo.js';
import type { SyncEntry } from '../modules/messages/messages.schemas.js';
import type {
  MessagesService,
  ReadReceipt as ReadReceiptType,
  SearchResult as SearchResultType,
  SyncEntry as SyncEntryType,
} from '../modules/messages/messages.service.js';
import type { MemberView, RoomView } from '../modules/rooms/rooms.presenter.js';
import type { RoomRef } from '../modules/rooms/rooms.schemas.js';
import type { RoomsService } from '../modules/rooms/rooms.service.js';
import type { TypingService } from '../modules/rooms/typing.service.js';
import type {
  OnlineUser as OnlineUserType,
  PresenceService,
} from '../modules/users/presence.service.js';
import type {
  OwnUser as OwnUserType,
  PublicUser as PublicUserType,
} from '../modules/users/users.presenter.js';
import type { MembershipsService } from '../modules/rooms/memberships.service.js';
import type { MyDataService } from '../modules/users/my-data.service.js';
import type * as U from '../modules/users/users.schemas.js';
import type { ErrorBody as ErrorBodyType } from '../errors.js';
import type * as S from './schemas.js';

/** Same keys, and each side assignable to the other (optional-ness included). */
type Same<A, B> = [keyof A] extends [keyof B]
  ? [keyof B] extends [keyof A]
    ? [A] extends [B]
      ? [B] extends [A]
        ? true
        : false
      : false
    : false
  : false;
type Is<S extends z.ZodType, T> = Same<z.output<S>, T>;
type Assert<T extends true> = T;
type SyncOk<T> = Extract<T, { hasMore: boolean }>;
type SyncFailed<T> = Extract<T, { error: unknown }>;
type Result<F extends (...args: never[]) => unknown> = Awaited<ReturnType<F>>;

export type PresenterChecks = [
  Assert<Is<typeof S.PublicUser, PublicUserType>>,
  Assert<Is<typeof S.OwnUser, OwnUserType>>,
  Assert<Is<typeof S.Sender, SenderView>>,
  Assert<Is<typeof S.FileView, FileViewType>>,
  Assert<Is<typeof S.ReactionGroup, ReactionGroupType>>,
  Assert<Is<typeof S.ReplyPreview, NonNullable<MessageView['replyPreview']>>>,
  Assert<Is<typeof S.Message, MessageView>>,
  Assert<Is<typeof S.Tombstone, TombstoneType>>,
  Assert<Is<typeof S.SearchResult, SearchResultType>>,
  Assert<Is<typeof S.Room, RoomView>>,
  Assert<Is<typeof S.Member, MemberView>>,
  Assert<Is<typeof S.MediaItem, MediaItemType>>,
  Assert<Is<typeof S.ReadReceipt, ReadReceiptType>>,
  Assert<Is<typeof S.AuthResult, AuthResultType>>,
  Assert<Is<typeof S.OnlineUser, OnlineUserType>>,
  Assert<Is<typeof S.ErrorBody, ErrorBodyType>>,
];

export type ServiceChecks = [
  Assert<Is<typeof S.FileStats, Result<FilesService['stats']>>>,
  Assert<Is<typeof S.UploadResult, Omit<Result<FilesService['upload']>, 'created'>>>,
  Assert<Is<typeof S.MessageDeleted, Result<MessagesService['remove']>>>,
  Assert<Is<typeof S.ReactionsResult, Result<MessagesService['react']>>>,
  Assert<Is<typeof S.RoomDeleted, Result<RoomsService['remove']>>>,
  Assert<Is<typeof S.RoomLeft, Result<RoomsService['leave']>>>,
  // GET /users/online lists public users; the `online-users` socket event keeps OnlineUser.
  Assert<Is<typeof S.PublicUser, Result<PresenceService['onlineUsersFor']>[number]>>,
  Assert<Is<typeof S.MemberRemoved, Result<RoomsService['removeMember']>>>,
  Assert<Is<typeof RoomRef, Result<TypingService['start']>>>,
  // My data: the export's rows as the services read them, and what an erasure answers.
  Assert<Is<typeof U.ExportedRoom, Result<MembershipsService['membershipsOf']>[number]>>,
  Assert<Is<typeof U.ExportedMessage, Result<MessagesService['sentInRoom']>[number]>>,
  Assert<Is<typeof U.ExportedFile, Result<FilesService['uploadsInRoom']>[number]>>,
  Assert<Is<typeof U.Erasure, Result<MyDataService['erase']>>>,
  Assert<Same<SyncOk<z.output<typeof SyncEntry>>, SyncOk<SyncEntryType>>>,
  Assert<Same<SyncFailed<z.output<typeof SyncEntry>>, SyncFailed<SyncEntryType>>>,
  Assert<Same<SyncFailed<z.output<typeof SyncEntry>>['error'], SyncFailed<SyncEntryType>['error']>>,
];
